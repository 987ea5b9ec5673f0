using System;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>
/// Coordinate-wise trimmed mean (Yin et al., Byzantine-Robust Distributed Learning: Towards Optimal
/// Statistical Rates, ICML 2018, Definition 2): per parameter, the f largest and f smallest task
/// components are dropped and the remaining T − 2f averaged.
/// </summary>
/// <remarks>
/// Elementwise, so not a Gram-space method: it sorts each column on the device, in column chunks of
/// 2¹⁶ so that temporaries stay small ([T, 2¹⁶] per chunk). As TorchJD, T &gt; 2f is required. The Gram
/// matrix is still computed, for the non-finite check and the step's diagnostics
/// (<see cref="GradientDiagnostics.IsWeighted"/> is false). Invariant to the task order and linear in
/// the gradients' scale; with f = 0 it is <see cref="Mean"/>. Reduced precision is averaged in float32.
/// </remarks>
public sealed class TrimmedMean : IGradientAggregator
{
    /// <summary>Columns sorted per chunk: bounds the sort's temporaries to T·2¹⁶ values.</summary>
    private const long Chunk = 1L << 16;

    /// <summary>Creates the trimmed mean.</summary>
    /// <param name="trimCount">f, the number of largest and of smallest components dropped per parameter (≥ 0).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="trimCount"/> is negative.</exception>
    public TrimmedMean(int trimCount)
    {
        if (trimCount < 0)
            throw new ArgumentOutOfRangeException(nameof(trimCount), trimCount, "TrimmedMean's trimCount must be ≥ 0.");
        TrimCount = trimCount;
    }

    /// <inheritdoc />
    public string Name => "TrimmedMean";

    /// <summary>f, the number of largest and of smallest components dropped per parameter.</summary>
    public int TrimCount { get; }

    /// <inheritdoc />
    public Tensor Aggregate(Tensor gradients) => GradientMatrix.AggregateToNew(gradients, Combine);

    /// <inheritdoc />
    public GradientDiagnostics Aggregate(Tensor gradients, Tensor destination) => GradientMatrix.AggregateInto(gradients, destination, Combine);

    private GradientDiagnostics Combine(Tensor gradients, Tensor destination)
    {
        var t = gradients.shape[0];
        if (t <= 2L * TrimCount)
            throw new ArgumentException($"TrimmedMean with f = {TrimCount} needs more than 2f = {2 * TrimCount} tasks; got {t}.", nameof(gradients));
        using var scope = NewDisposeScope();
        var accumulated = GradientMatrix.Accumulated(gradients);
        var gramian = GradientMatrix.ComputeGramian(accumulated);
        var p = accumulated.shape[1];
        var kept = t - (2L * TrimCount);
        var norm = 0.0;
        for (long start = 0; start < p; start += Chunk)
        {
            using var chunkScope = NewDisposeScope();
            var width = Math.Min(Chunk, p - start);
            var columns = accumulated.narrow(1, start, width);
            var mean = TrimCount == 0
                ? columns.mean([0])
                : columns.sort(dim: 0).Values.narrow(0, TrimCount, kept).mean([0]);
            destination.narrow(0, start, width).copy_(mean);
            norm += mean.square().sum().to_type(ScalarType.Float64).item<double>();
        }
        return GradientDiagnostics.Unweighted(gramian, Math.Sqrt(norm));
    }
}
