using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>
/// The finiteness check of the gradients a step will apply outside the aggregation (task heads in
/// parameter mode; every parameter in representation mode): one reduction per parameter and one host read.
/// </summary>
internal static class ParameterGradients
{
    /// <summary>
    /// The first of <paramref name="parameters"/> whose <c>.grad</c> holds a NaN or an infinity; −1 when
    /// all are finite or have no gradient. Each gradient is summed in float64, where no sum of finite
    /// float16/bfloat16/float32/float64 values overflows, and NaN and ±∞ survive the sum.
    /// </summary>
    public static int FirstNonFinite(IReadOnlyList<Parameter> parameters)
    {
        using var scope = NewDisposeScope();
        var indices = new List<int>();
        var sums = new List<Tensor>();
        for (var k = 0; k < parameters.Count; k++)
        {
            if (parameters[k].grad is not { } grad)
                continue;
            indices.Add(k);
            sums.Add(grad.sum(type: ScalarType.Float64));
        }
        if (sums.Count == 0)
            return -1;
        var all = torch.stack(sums);
        if (all.isfinite().all().item<bool>())
            return -1;
        var values = all.cpu().data<double>().ToArray();
        return indices[values.Select((v, i) => (v, i)).First(p => !double.IsFinite(p.v)).i];
    }
}
