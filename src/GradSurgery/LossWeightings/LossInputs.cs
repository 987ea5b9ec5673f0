using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>Checks every <see cref="ILossWeighting.Weigh"/> makes before it touches its state.</summary>
internal static class LossInputs
{
    /// <summary>Throws unless the losses and their host values are T matching, non-null, finite entries (T = <paramref name="taskCount"/> when given).</summary>
    public static int Validate(IReadOnlyList<Tensor> losses, IReadOnlyList<double> values, int? taskCount, string method)
    {
        ArgumentNullException.ThrowIfNull(losses);
        ArgumentNullException.ThrowIfNull(values);
        if (losses.Count == 0)
            throw new ArgumentException($"{method} got an empty loss list: pass one scalar loss per task (T ≥ 1).", nameof(losses));
        if (taskCount is { } expected && losses.Count != expected)
            throw new ArgumentException($"{method} was created for {expected} tasks; got {losses.Count} losses.", nameof(losses));
        if (values.Count != losses.Count)
            throw new ArgumentException($"Got {values.Count} loss values for {losses.Count} losses.", nameof(values));
        for (var t = 0; t < losses.Count; t++)
        {
            if (losses[t] is null)
                throw new ArgumentException($"Loss {t} is null.", nameof(losses));
            if (!double.IsFinite(values[t]))
                throw new ArgumentException($"The value of loss {t} is {values[t]}; loss values must be finite.", nameof(values));
        }
        return losses.Count;
    }

    /// <summary>Throws unless every value is &gt; <paramref name="floor"/> (the domain of a logarithm or a ratio).</summary>
    public static void RequireAbove(IReadOnlyList<double> values, double floor, string method, string why)
    {
        for (var t = 0; t < values.Count; t++)
        {
            if (!(values[t] > floor))
                throw new ArgumentException($"{method} needs every loss > {floor} ({why}); loss {t} is {values[t]}.", nameof(values));
        }
    }

    /// <summary>A validated task count (≥ 1) for a constructor.</summary>
    public static int TaskCount(int taskCount, string method) =>
        taskCount >= 1 ? taskCount : throw new ArgumentOutOfRangeException(nameof(taskCount), taskCount, $"{method}'s taskCount must be ≥ 1.");
}
