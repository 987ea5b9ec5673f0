using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>What a <see cref="ILossWeighting"/> made of one step's losses.</summary>
public sealed class WeightedLosses
{
    /// <summary>Pairs the terms with their weights.</summary>
    /// <param name="terms">The T scalar terms whose sum is back-propagated; term t depends on loss t only.</param>
    /// <param name="weights">∂termₜ/∂Lₜ for every task.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The two lists differ in length or are empty.</exception>
    public WeightedLosses(IReadOnlyList<Tensor> terms, IReadOnlyList<double> weights)
    {
        ArgumentNullException.ThrowIfNull(terms);
        ArgumentNullException.ThrowIfNull(weights);
        if (terms.Count == 0 || terms.Count != weights.Count)
            throw new ArgumentException($"A loss weighting must give one term and one weight per task; got {terms.Count} terms and {weights.Count} weights.", nameof(weights));
        Terms = terms;
        Weights = weights;
    }

    /// <summary>The T scalar terms whose sum is back-propagated; term t depends on loss t only.</summary>
    public IReadOnlyList<Tensor> Terms { get; }

    /// <summary>∂termₜ/∂Lₜ, the weight the step effectively gives each loss (for logging and tests).</summary>
    public IReadOnlyList<double> Weights { get; }
}
