using System;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>
/// Turns any <see cref="IGramianWeighting"/> into an <see cref="IGradientAggregator"/>: M = G·Gᵀ on the
/// device, w = weighting(M) on the host in double, d = wᵀ·G on the device. Only the T×T Gram matrix
/// and the T weights cross between device and host, and G is read twice (one Gram, one GEMV),
/// whatever the method.
/// </summary>
/// <remarks>
/// The aggregator keeps no state of its own; it is as thread-safe as its weighting (every stateless
/// weighting is; see <see cref="IStatefulWeighting"/>).
/// </remarks>
public sealed class GramianWeightedAggregator : IGradientAggregator
{
    /// <summary>Wraps <paramref name="weighting"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="weighting"/> is null.</exception>
    public GramianWeightedAggregator(IGramianWeighting weighting)
    {
        ArgumentNullException.ThrowIfNull(weighting);
        Weighting = weighting;
    }

    /// <summary>The method that turns the Gram matrix into task weights.</summary>
    public IGramianWeighting Weighting { get; }

    /// <inheritdoc />
    public string Name => Weighting.Name;

    /// <inheritdoc />
    public Tensor Aggregate(Tensor gradients) => GradientMatrix.AggregateToNew(gradients, Combine);

    /// <inheritdoc />
    public GradientDiagnostics Aggregate(Tensor gradients, Tensor destination) => GradientMatrix.AggregateInto(gradients, destination, Combine);

    /// <summary>
    /// The first half of the pipeline alone: the Gram matrix of <paramref name="gradients"/> and the
    /// weighting's weights, without combining (representation mode combines the losses instead).
    /// </summary>
    /// <exception cref="ArgumentException">The gradients are not a usable [T, P] matrix.</exception>
    /// <exception cref="NonFiniteGradientException">A gradient is not finite.</exception>
    internal GradientDiagnostics Weigh(Tensor gradients)
    {
        GradientMatrix.Validate(gradients, nameof(gradients));
        using var scope = NewDisposeScope();
        return Weigh(GradientMatrix.ComputeGramian(GradientMatrix.KernelInput(gradients)));
    }

    private GradientDiagnostics Combine(Tensor gradients, Tensor destination)
    {
        using var scope = NewDisposeScope();
        var input = GradientMatrix.KernelInput(gradients);
        var diagnostics = Weigh(GradientMatrix.ComputeGramian(input));
        GradientMatrix.Combine(input, diagnostics.WeightArray, destination);
        return diagnostics;
    }

    /// <summary>The weighting's weights for <paramref name="gramian"/>, checked: one finite weight per task.</summary>
    /// <exception cref="InvalidOperationException">The weighting broke its contract.</exception>
    private GradientDiagnostics Weigh(Gramian gramian) => new(gramian, CheckedWeights(Weighting, gramian));

    /// <summary>The weights of <paramref name="weighting"/> for <paramref name="gramian"/>, checked: one finite weight per task.</summary>
    /// <exception cref="InvalidOperationException">The weighting broke its contract.</exception>
    internal static double[] CheckedWeights(IGramianWeighting weighting, Gramian gramian)
    {
        var weights = weighting.ComputeWeights(gramian);
        if (weights is null || weights.Length != gramian.TaskCount)
            throw new InvalidOperationException($"{weighting.Name} returned {weights?.Length ?? 0} weights for {gramian.TaskCount} tasks.");
        for (var i = 0; i < weights.Length; i++)
        {
            if (!double.IsFinite(weights[i]))
                throw new InvalidOperationException($"{weighting.Name} returned a non-finite weight {weights[i]} for task {i}.");
        }
        return weights;
    }
}
