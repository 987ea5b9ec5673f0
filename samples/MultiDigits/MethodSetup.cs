namespace GradSurgery.Samples.MultiDigits;

/// <summary>The methods one multi-task row trains with: a loss weighting, an aggregator, or both.</summary>
/// <param name="LossWeighting">Applied to the losses first; null for a gradient method alone.</param>
/// <param name="Aggregator">Combines the per-task gradients; null for a loss weighting alone (one backward).</param>
internal sealed record MethodSetup(ILossWeighting? LossWeighting, IGradientAggregator? Aggregator)
{
    /// <summary>A gradient method alone.</summary>
    public static MethodSetup Gradient(IGradientAggregator aggregator) => new(null, aggregator);

    /// <summary>A loss weighting alone.</summary>
    public static MethodSetup Loss(ILossWeighting lossWeighting) => new(lossWeighting, null);

    /// <summary>The wrapper for these methods around <paramref name="inner"/>.</summary>
    public GradientSurgeryOptimizer Wrap(TorchSharp.torch.optim.Optimizer inner, GradientSurgeryOptions options) => (LossWeighting, Aggregator) switch
    {
        ({ } loss, { } aggregator) => new GradientSurgeryOptimizer(inner, loss, aggregator, options),
        ({ } loss, null) => new GradientSurgeryOptimizer(inner, loss, options),
        (null, { } aggregator) => new GradientSurgeryOptimizer(inner, aggregator, options),
        _ => throw new InvalidOperationException("A multi-task row needs a loss weighting, an aggregator or both."),
    };
}
