using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>Checks of the T task losses handed to <see cref="GradientSurgeryOptimizer"/>, before anything is back-propagated.</summary>
internal static class TaskLosses
{
    /// <summary>Throws unless <paramref name="losses"/> are T ≥ 1 finite scalars with a graph.</summary>
    /// <exception cref="ArgumentException">The list is empty, or a loss is null, not a scalar or has no graph.</exception>
    /// <exception cref="NonFiniteGradientException">A loss is NaN or infinite.</exception>
    public static void Validate(IReadOnlyList<Tensor> losses)
    {
        ArgumentNullException.ThrowIfNull(losses);
        if (losses.Count == 0)
            throw new ArgumentException("The loss list is empty: pass one scalar loss per task (T ≥ 1).", nameof(losses));
        for (var t = 0; t < losses.Count; t++)
        {
            var loss = losses[t] ?? throw new ArgumentException($"Loss {t} is null.", nameof(losses));
            if (loss.numel() != 1)
                throw new ArgumentException($"Loss {t} is not a scalar: shape [{string.Join(", ", loss.shape)}]. Reduce it (mean or sum) first.", nameof(losses));
            if (!loss.requires_grad)
                throw new ArgumentException($"Loss {t} has no graph (requires_grad = false): it was computed under no_grad, detached, or from frozen parameters only.", nameof(losses));
        }
        using var scope = NewDisposeScope();
        for (var t = 0; t < losses.Count; t++)
        {
            var value = losses[t].to_type(ScalarType.Float64).item<double>();
            if (!double.IsFinite(value))
                throw new NonFiniteGradientException(t, $"Loss {t} is {value}: nothing was back-propagated or applied.", nameof(losses));
        }
    }
}
