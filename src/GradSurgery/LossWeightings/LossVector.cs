using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>
/// The T scalar losses as one [T] tensor with their graphs, so that a weighting's terms are a handful of
/// vector operations instead of several scalar operations per task (each native call costs microseconds,
/// which a loss-weighted step of a small model notices).
/// </summary>
internal static class LossVector
{
    /// <summary>
    /// The losses stacked into [T] in the current dispose scope (in their dtype, or float64 when they
    /// differ). With <paramref name="only"/>, every other loss is detached: the vector then carries the
    /// graph of that one task alone, so that back-propagating its entry reaches no other task's parameters.
    /// </summary>
    /// <exception cref="ArgumentException">The losses are on different devices.</exception>
    public static Tensor Stack(IReadOnlyList<Tensor> losses, int? only = null)
    {
        // Device type and index, not Device objects: every property read is a native call, and this runs every step.
        var first = losses[0];
        var (type, index) = (first.device_type, first.device_index);
        if (losses.Any(l => l.device_type != type || l.device_index != index))
            throw new ArgumentException($"The losses are on different devices ({string.Join(", ", losses.Select(l => l.device).Distinct())}): their weighted sum needs one device.", nameof(losses));
        var dtypes = losses.Select(l => l.dtype).ToArray();
        var dtype = Array.TrueForAll(dtypes, d => d == dtypes[0]) ? dtypes[0] : ScalarType.Float64;
        var scalars = new Tensor[losses.Count];
        for (var t = 0; t < losses.Count; t++)
        {
            var loss = only is { } kept && kept != t ? losses[t].detach() : losses[t];
            scalars[t] = dtypes[t] == dtype ? loss.reshape() : loss.reshape().to_type(dtype);
        }
        return torch.stack(scalars);
    }

    /// <summary>A [T] tensor of <paramref name="values"/> in the dtype and on the device of <paramref name="like"/>.</summary>
    public static Tensor Constants(double[] values, Tensor like) =>
        torch.tensor(values, dtype: like.dtype, device: like.device);
}
