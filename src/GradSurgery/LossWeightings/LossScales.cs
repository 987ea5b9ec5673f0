using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>One trainable scalar per task (UW's log-variances, IMTL-L's log-scales, GradNorm's weights) with its initial value.</summary>
internal sealed class LossScales
{
    private readonly double _initial;

    public LossScales(int taskCount, double initial, Device? device, ScalarType dtype, string method)
    {
        if (!double.IsFinite(initial))
            throw new ArgumentOutOfRangeException(nameof(initial), initial, $"{method}'s initial value must be finite.");
        if (dtype is not (ScalarType.Float32 or ScalarType.Float64))
            throw new ArgumentException($"{method}'s parameters must be float32 or float64; got {dtype}.", nameof(dtype));
        _initial = initial;
        Method = method;
        Parameter = new Parameter(torch.full(taskCount, initial, dtype: dtype, device: device ?? CPU));
    }

    public Parameter Parameter { get; }

    public string Method { get; }

    public int TaskCount => (int)Parameter.shape[0];

    /// <summary>The values on the host.</summary>
    public double[] Values()
    {
        using var scope = NewDisposeScope();
        return Parameter.detach().to_type(ScalarType.Float64).cpu().data<double>().ToArray();
    }

    /// <summary>Overwrites the values in place (the optimizer keeps the same tensor).</summary>
    public void Assign(IReadOnlyList<double> values)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        Parameter.copy_(torch.tensor(values.ToArray(), dtype: ScalarType.Float64).to(Parameter.dtype, Parameter.device));
    }

    public void Reset() => Assign(Enumerable.Repeat(_initial, TaskCount).ToArray());

    /// <summary>Throws when the losses live on another device than the parameters.</summary>
    public void RequireDevice(IReadOnlyList<Tensor> losses)
    {
        var (type, index) = (Parameter.device_type, Parameter.device_index);
        for (var t = 0; t < losses.Count; t++)
        {
            if (losses[t].device_type != type || losses[t].device_index != index)
                throw new ArgumentException($"{Method}'s parameters are on {Parameter.device}, loss {t} on {losses[t].device}: create the weighting with device: the model's device.", nameof(losses));
        }
    }
}
