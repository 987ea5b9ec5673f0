using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>Checks of the T task losses handed to <see cref="GradientSurgeryOptimizer"/>, before anything is back-propagated.</summary>
internal static class TaskLosses
{
    /// <summary>Throws unless <paramref name="losses"/> are T ≥ 1 finite scalars with a graph; returns their values.</summary>
    /// <exception cref="ArgumentException">The list is empty, or a loss is null, not a scalar or has no graph.</exception>
    /// <exception cref="NonFiniteGradientException">A loss is NaN or infinite.</exception>
    public static double[] Validate(IReadOnlyList<Tensor> losses, bool checkFinite = true)
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
        // One host read for all T values (on CUDA each read is a synchronisation), with as few native
        // calls as possible: a loss-weighted step of a small model notices every one.
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var first = losses[0];
        var (dtype, type, index) = (first.dtype, first.device_type, first.device_index);
        var uniform = losses.All(l => l.dtype == dtype && l.device_type == type && l.device_index == index);
        var stacked = uniform
            ? torch.stack(losses.Select(l => l.reshape()).ToArray())
            : torch.cat(losses.Select(l => l.to_type(ScalarType.Float64).reshape(1)).ToArray());
        var values = stacked.to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        if (checkFinite)
            RequireFinite(values, "Loss");
        return values;
    }

    /// <summary>Throws a <see cref="NonFiniteGradientException"/> for the first NaN or infinite value.</summary>
    /// <param name="values">Loss values.</param>
    /// <param name="what">How the message names them ("Loss", or "The global loss" under data parallelism).</param>
    public static void RequireFinite(double[] values, string what)
    {
        for (var t = 0; t < values.Length; t++)
        {
            if (!double.IsFinite(values[t]))
                throw new NonFiniteGradientException(t, $"{what} {t} is {values[t]}: nothing was back-propagated or applied.", "losses");
        }
    }
}
