namespace GradSurgery;

/// <summary>What <see cref="GradientSurgeryOptimizer"/> does when a task loss or gradient is NaN or infinite.</summary>
public enum NonFiniteGradientPolicy
{
    /// <summary>Throw an <see cref="System.ArgumentException"/> naming the task (the default).</summary>
    Throw,

    /// <summary>Skip the step: the next <c>step()</c> leaves parameters and optimizer state alone and clears the accumulated gradients.</summary>
    SkipStep,
}
