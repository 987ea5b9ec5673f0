namespace GradSurgery;

/// <summary>The order in which <see cref="PCGrad"/> visits the other tasks when projecting one task's gradient.</summary>
public enum PCGradTaskOrder
{
    /// <summary>A fresh uniformly random permutation for every task at every step (Algorithm 1 of the paper; the default).</summary>
    Random,

    /// <summary>Index order 0, 1, …, T−1 for every task: deterministic, reproducible without a seed.</summary>
    Fixed,
}
