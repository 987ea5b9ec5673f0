using System.Collections.Generic;
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
    /// all are finite or have no gradient. Each gradient is summed in its own dtype (one read, no
    /// allocation of its size): NaN and ±∞ survive a sum. A sum can also overflow on finite values
    /// (float16's range ends at 65 504), so a non-finite sum is confirmed element-wise before it counts.
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
            sums.Add(grad.sum());
        }
        if (sums.Count == 0)
            return -1;
        // One stack when the sums share a dtype (the usual case: one native call per parameter plus four).
        var uniform = sums.TrueForAll(s => s.dtype == sums[0].dtype);
        var all = uniform ? torch.stack(sums) : torch.cat(sums.ConvertAll(s => s.to_type(ScalarType.Float64).reshape(1)));
        if (all.isfinite().all().item<bool>())
            return -1;
        var values = all.to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        for (var i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]) && !parameters[indices[i]].grad!.isfinite().all().item<bool>())
                return indices[i];
        }
        return -1;
    }
}
