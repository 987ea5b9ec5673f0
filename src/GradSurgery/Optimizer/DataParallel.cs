using System;
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>
/// The exact data-parallel half of <see cref="GradientSurgeryOptimizer"/>: rank r holds the losses of its
/// shard of the batch, and the global gradient of every task is Σᵣ aᵣ·gᵣ with aᵣ = nᵣ/Σn its share.
/// </summary>
/// <remarks>
/// <para>Parameter mode: the global [T, P] matrix is reduce-scattered by parameter blocks (rank r receives
/// the global [T, ⌈P/R⌉] block of its columns), the Gram matrix is the all-reduced sum of the blocks'
/// partial Grams (it is additive over parameter blocks, not over data shards), every rank computes the
/// same weights from it, combines its own block and all-gathers the update. Traffic per step: T·P values
/// reduce-scattered, T² all-reduced, P all-gathered (≈ (T + 1)/2 × an ordinary all-reduce of P values).</para>
/// <para>Representation mode and loss weightings: the samples of the ranks are disjoint, so the Gram of
/// ∂Lₜ/∂Z is Σᵣ aᵣ²·Mᵣ (T² values), and the rest is one ordinary all-reduce of the gradients.</para>
/// <para>Every decision that can throw is taken on all-reduced values, so all ranks throw together
/// instead of one rank leaving the others waiting in a collective.</para>
/// </remarks>
internal sealed class DataParallel : IDisposable
{
    private Tensor? _packed;
    private Tensor? _block;
    private Tensor? _local;
    private Tensor? _gathered;

    public DataParallel(ICommunicator communicator)
    {
        ArgumentNullException.ThrowIfNull(communicator);
        if (communicator.Size < 1 || communicator.Rank < 0 || communicator.Rank >= communicator.Size)
            throw new ArgumentException($"The communicator reports rank {communicator.Rank} of {communicator.Size}.", nameof(communicator));
        Communicator = communicator;
    }

    public ICommunicator Communicator { get; }

    /// <summary>Copies rank 0's values of <paramref name="parameters"/> to every rank (the start of training).</summary>
    public void BroadcastParameters(IEnumerable<Parameter> parameters)
    {
        using var noGrad = torch.no_grad();
        foreach (var p in parameters)
            Communicator.Broadcast(p, 0);
    }

    /// <summary>aᵣ = nᵣ/Σn, or 1/R when the shards are equal (<paramref name="localSamples"/> null).</summary>
    public double Share(int? localSamples)
    {
        if (localSamples is not { } samples)
            return 1.0 / Communicator.Size;
        using var scope = NewDisposeScope();
        var total = torch.tensor(new double[] { samples });
        Communicator.AllReduceSum(total);
        return samples / total.item<double>();
    }

    /// <summary>The global loss values Σᵣ aᵣ·Lᵣ (every rank gets the same).</summary>
    public double[] GlobalValues(double[] local, double share)
    {
        using var scope = NewDisposeScope();
        var values = torch.tensor(local) * share;
        Communicator.AllReduceSum(values);
        return values.data<double>().ToArray();
    }

    /// <summary>
    /// Writes the update of the global per-task gradients into <paramref name="update"/>: reduce-scatter of
    /// aᵣ·rows by column blocks, the all-reduced Gram, the weights, this block's combination, all-gather.
    /// </summary>
    public GradientDiagnostics Aggregate(IGramianWeighting weighting, Tensor rows, Tensor update, double share)
    {
        using var scope = NewDisposeScope();
        var (t, p, ranks) = (rows.shape[0], rows.shape[1], (long)Communicator.Size);
        var width = (p + ranks - 1) / ranks;
        var dtype = GradientMatrix.AccumulationType(rows.dtype);
        EnsureBuffers(t, width, dtype, rows.device);
        for (long r = 0; r < ranks; r++)
        {
            var columns = Math.Min(width, p - (r * width));
            if (columns > 0)
                _packed![r].narrow(1, 0, columns).copy_(rows.narrow(1, r * width, columns));
        }
        _packed!.mul_(share);
        Communicator.ReduceScatterSum(_packed.view(-1), _block!.view(-1));
        var gram = GradientMatrix.Gram(_block).contiguous();
        Communicator.AllReduceSum(gram);
        var gramian = GradientMatrix.ToGramian(gram, dtype);
        var weights = GramianWeightedAggregator.CheckedWeights(weighting, gramian);
        GradientMatrix.Combine(_block, weights, _local!);
        Communicator.AllGather(_local!, _gathered!);
        update.copy_(_gathered!.narrow(0, 0, p));
        return GradientDiagnostics.Weighted(gramian, weights);
    }

    /// <summary>The Gram matrix of the global ∂Lₜ/∂Z over disjoint samples: Σᵣ aᵣ²·Mᵣ.</summary>
    public Gramian RepresentationGramian(Tensor rows, double share)
    {
        using var scope = NewDisposeScope();
        var accumulated = GradientMatrix.Accumulated(rows);
        var gram = (GradientMatrix.Gram(accumulated) * (share * share)).contiguous();
        Communicator.AllReduceSum(gram);
        return GradientMatrix.ToGramian(gram, accumulated.dtype);
    }

    /// <summary>Every gradient becomes the global Σᵣ aᵣ·gᵣ (one all-reduce per parameter with a gradient).</summary>
    public void AverageGradients(IEnumerable<Parameter> parameters, double share)
    {
        using var noGrad = torch.no_grad();
        foreach (var p in parameters)
        {
            if (p.grad is not { } grad)
                continue;
            grad.mul_(share);
            if (grad.is_contiguous())
            {
                Communicator.AllReduceSum(grad);
            }
            else
            {
                using var copy = grad.contiguous();
                Communicator.AllReduceSum(copy);
                grad.copy_(copy);
            }
        }
    }

    public void Dispose()
    {
        foreach (var buffer in new[] { _packed, _block, _local, _gathered })
            buffer?.Dispose();
        (_packed, _block, _local, _gathered) = (null, null, null, null);
    }

    /// <summary>Kept buffers: [R, T, w] packed rows (zero padding past P), the [T, w] block, its [w] combination and the [R·w] gathered update.</summary>
    private void EnsureBuffers(long t, long width, ScalarType dtype, Device device)
    {
        if (_packed is { } packed && packed.shape[1] == t && packed.shape[2] == width && packed.dtype == dtype && packed.device_type == device.type)
            return;
        Dispose();
        var ranks = Communicator.Size;
        _packed = torch.zeros(ranks, t, width, dtype: dtype, device: device).DetachFromDisposeScope();
        _block = torch.zeros(t, width, dtype: dtype, device: device).DetachFromDisposeScope();
        _local = torch.zeros(width, dtype: dtype, device: device).DetachFromDisposeScope();
        _gathered = torch.zeros(ranks * width, dtype: dtype, device: device).DetachFromDisposeScope();
    }
}
