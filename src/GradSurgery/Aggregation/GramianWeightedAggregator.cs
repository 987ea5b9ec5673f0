using System;
using TorchSharp;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>
/// The shared pipeline of every method: M = G·Gᵀ on the device, w = weighting(M) on the host in
/// double, d = wᵀ·G on the device. Only the T×T Gram matrix and the T weights cross between device
/// and host, and G is read twice (one GEMM, one GEMV), whatever the method.
/// </summary>
/// <remarks>
/// Instances keep the diagnostics of their last call and, for PCGrad, a random generator: use one
/// instance per training loop, not concurrently from several threads.
/// </remarks>
public abstract class GramianWeightedAggregator : IGradientAggregator, IGramianWeighting
{
    /// <summary>Diagnostics of the last aggregation (weights, norms, cosines, conflicts, κ); null before the first.</summary>
    public GradientDiagnostics? LastDiagnostics { get; private set; }

    /// <inheritdoc />
    public abstract double[] ComputeWeights(Gramian gramian);

    /// <inheritdoc />
    public Tensor Aggregate(Tensor gradients)
    {
        GradientMatrix.Validate(gradients, nameof(gradients));
        using var scope = NewDisposeScope();
        var destination = torch.empty(gradients.shape[1], dtype: gradients.dtype, device: gradients.device);
        AggregateValidated(gradients, null, destination);
        return destination.MoveToOuterDisposeScope();
    }

    /// <summary>Writes the combined update of <paramref name="gradients"/> into <paramref name="destination"/>, a kept [P] buffer (no allocation of size P).</summary>
    /// <param name="gradients">[T, P] task gradients, not modified (see <see cref="IGradientAggregator.Aggregate"/>).</param>
    /// <param name="destination">A [P] tensor of the same dtype and device; overwritten.</param>
    /// <returns>The weights applied.</returns>
    /// <exception cref="ArgumentException">The shapes, dtypes or devices do not match, or a gradient is not finite. The destination is then untouched.</exception>
    public double[] Aggregate(Tensor gradients, Tensor destination)
    {
        GradientMatrix.Validate(gradients, nameof(gradients));
        GradientMatrix.ValidateDestination(gradients, destination, nameof(destination));
        return AggregateValidated(gradients, null, destination);
    }

    /// <summary>
    /// Like <see cref="Aggregate(Tensor, Tensor)"/> with a Gram matrix computed elsewhere: the seam for
    /// sharded training, where each worker contributes the T×T partial Gram of its parameter shard
    /// (M = Σ_b G_b·G_bᵀ) and only those T² numbers are all-reduced.
    /// </summary>
    /// <param name="gradients">This worker's [T, P_b] gradient block.</param>
    /// <param name="gramian">The Gram matrix of the full gradients.</param>
    /// <param name="destination">A [P_b] tensor of the same dtype and device; overwritten.</param>
    /// <returns>The weights applied.</returns>
    /// <exception cref="ArgumentException">The shapes, dtypes or devices do not match.</exception>
    public double[] Aggregate(Tensor gradients, Gramian gramian, Tensor destination)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        GradientMatrix.Validate(gradients, nameof(gradients));
        GradientMatrix.ValidateDestination(gradients, destination, nameof(destination));
        if (gramian.TaskCount != gradients.shape[0])
            throw new ArgumentException($"The Gramian is {gramian.TaskCount}×{gramian.TaskCount} but the gradients have T = {gradients.shape[0]} rows.", nameof(gramian));
        return AggregateValidated(gradients, gramian, destination);
    }

    /// <summary>Computes the weights of <paramref name="gramian"/> and records the diagnostics; validates the weighting's output.</summary>
    /// <returns>The weights applied.</returns>
    /// <exception cref="InvalidOperationException">The weighting returned the wrong number of weights or a non-finite weight.</exception>
    public double[] WeightAndRecord(Gramian gramian)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        var weights = ComputeWeights(gramian);
        if (weights.Length != gramian.TaskCount)
            throw new InvalidOperationException($"{GetType().Name} returned {weights.Length} weights for {gramian.TaskCount} tasks.");
        foreach (var w in weights)
        {
            if (!double.IsFinite(w))
                throw new InvalidOperationException($"{GetType().Name} returned a non-finite weight {w}.");
        }
        LastDiagnostics = new GradientDiagnostics(gramian, weights);
        return weights;
    }

    private double[] AggregateValidated(Tensor gradients, Gramian? gramian, Tensor destination)
    {
        using var scope = NewDisposeScope();
        var accumulation = GradientMatrix.AccumulationType(gradients.dtype);
        var accumulated = gradients.dtype == accumulation ? gradients : gradients.to_type(accumulation);
        gramian ??= GradientMatrix.ComputeGramian(accumulated);
        var weights = WeightAndRecord(gramian);
        GradientMatrix.Combine(accumulated, weights, destination);
        return weights;
    }
}
