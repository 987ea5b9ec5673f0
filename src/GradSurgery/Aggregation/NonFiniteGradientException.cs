using System;

namespace GradSurgery;

/// <summary>
/// A task's gradient (or loss) is NaN or infinite, or its squared norm overflows the accumulation
/// dtype. Thrown where that is detected, before anything is written: destinations, parameters, their
/// <c>.grad</c> and the optimizer state are untouched. <see cref="GradientSurgeryOptimizer"/> catches
/// exactly this type under <see cref="NonFiniteGradientPolicy.SkipStep"/>; every other error propagates.
/// </summary>
public sealed class NonFiniteGradientException : ArgumentException
{
    /// <summary>Creates the exception for task <paramref name="taskIndex"/>.</summary>
    /// <param name="taskIndex">The first task found non-finite (0-based), or null when the value belongs to no single task.</param>
    /// <param name="message">What was found, naming the task.</param>
    /// <param name="parameterName">The argument that carried the values ("gradients", "losses", …).</param>
    public NonFiniteGradientException(int? taskIndex, string message, string? parameterName)
        : base(message, parameterName)
    {
        TaskIndex = taskIndex;
    }

    /// <summary>
    /// The first task whose gradient or loss is not finite (0-based); null when the value belongs to no
    /// single task (a gradient of the weighted sum Σ wₜ·Lₜ in representation mode).
    /// </summary>
    public int? TaskIndex { get; }
}
