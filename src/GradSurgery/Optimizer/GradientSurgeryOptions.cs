using System.Collections.Generic;
using TorchSharp.Modules;

namespace GradSurgery;

/// <summary>Options of a <see cref="GradientSurgeryOptimizer"/>; every property has a default that suits most models.</summary>
public sealed class GradientSurgeryOptions
{
    private NonFiniteGradientPolicy _nonFinite = NonFiniteGradientPolicy.Throw;

    /// <summary>
    /// The shared parameters, whose per-task gradients are combined. Default null: inferred on the first
    /// <c>Backward</c> as the trainable parameters that two or more losses reach. When given, they must be
    /// among the wrapped optimizer's parameters, trainable, and on one device with one floating dtype.
    /// </summary>
    public IEnumerable<Parameter>? SharedParameters { get; init; }

    /// <summary>
    /// With a loss weighting alone, also check every trainable parameter's gradient for NaN and infinities
    /// after the backward (default false). The losses and the weighting's weights are always checked; this
    /// adds one more read of every gradient, measured at about 3% of a training step of a 10⁶-parameter
    /// MLP, which a plain summed-loss step does not pay. With an aggregator the gradients are always
    /// checked (the Gram matrix's diagonal does it for free).
    /// </summary>
    public bool CheckLossWeightedGradients { get; init; }

    /// <summary>
    /// The process group of data-parallel training (for example GradSurgery.Mpi's <c>MpiCommunicator</c>);
    /// null (default) trains in this process alone. With R ranks each <c>Backward</c> receives the losses of
    /// this rank's shard of the batch, and every rank applies the update of the whole batch: the same
    /// parameters on every rank after every step (rank 0's initial parameters are broadcast when the
    /// optimizer is created). Needs a Gram-space method (a <see cref="GramianWeightedAggregator"/>), a loss
    /// weighting, or both; shards of different sizes set <see cref="GradientSurgeryOptimizer.LocalSampleCount"/>.
    /// </summary>
    public ICommunicator? Communicator { get; init; }

    /// <summary>What a NaN or infinite loss or gradient does: throw (default) or skip the step.</summary>
    /// <exception cref="System.ArgumentOutOfRangeException">The value is not a named policy.</exception>
    public NonFiniteGradientPolicy NonFinite
    {
        get => _nonFinite;
        init => _nonFinite = EnumArgument.Defined(value, nameof(NonFinite));
    }
}
