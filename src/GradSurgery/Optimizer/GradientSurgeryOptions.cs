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

    /// <summary>What a NaN or infinite loss or gradient does: throw (default) or skip the step.</summary>
    /// <exception cref="System.ArgumentOutOfRangeException">The value is not a named policy.</exception>
    public NonFiniteGradientPolicy NonFinite
    {
        get => _nonFinite;
        init => _nonFinite = EnumArgument.Defined(value, nameof(NonFinite));
    }
}
