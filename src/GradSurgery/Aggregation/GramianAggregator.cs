using System;

namespace GradSurgery;

/// <summary>Turns any <see cref="IGramianWeighting"/> into an <see cref="IGradientAggregator"/> (M = G·Gᵀ → w → wᵀ·G).</summary>
public sealed class GramianAggregator : GramianWeightedAggregator
{
    private readonly IGramianWeighting _weighting;

    /// <summary>Wraps <paramref name="weighting"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="weighting"/> is null.</exception>
    public GramianAggregator(IGramianWeighting weighting)
    {
        ArgumentNullException.ThrowIfNull(weighting);
        _weighting = weighting;
    }

    /// <inheritdoc />
    public override double[] ComputeWeights(Gramian gramian) => _weighting.ComputeWeights(gramian);
}
