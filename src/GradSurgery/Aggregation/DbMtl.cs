using System;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>
/// The gradient-magnitude half of DB-MTL (Lin et al., Dual-Balancing for Multi-Task Learning, 2023):
/// an exponential moving average ĝₜ ← βₖ·ĝₜ + (1 − βₖ)·gₜ of each task's gradient, βₖ = β/k^σ at the
/// k-th call, and the update Σₜ (maxᵢ ‖ĝᵢ‖ / ‖ĝₜ‖)·ĝₜ: every task contributes with the largest task's
/// gradient magnitude.
/// </summary>
/// <remarks>
/// <para>The paper pairs it with the log transform of the losses: use <see cref="LogLosses"/> as the
/// wrapper's loss weighting (the gradients gₜ are then those of log Lₜ). Conventions of LibMTL: β = 0.9,
/// σ = 0, the average starts at zero without bias correction (the first updates are scaled by
/// 1 − β^k), and the scale factor divides by the norm; where a task's averaged gradient is exactly zero
/// its factor is 0 (LibMTL divides by ‖ĝₜ‖ + 1e-8).</para>
/// <para>Not a Gram-space method: the moving average is a [T, P] state on the gradients' device (in float32
/// for reduced precision). <see cref="Reset"/> releases it; a different T or P also needs a reset. The
/// step's Gram matrix of the current gradients is still computed: its diagonal checks them for NaN and
/// infinities before the state changes, and it feeds the diagnostics (<see cref="GradientDiagnostics.IsWeighted"/>
/// is false: the update combines the averages, not the current gradients).</para>
/// </remarks>
public sealed class DbMtl : IGradientAggregator, IDisposable
{
    /// <summary>LibMTL's decay β.</summary>
    public const double DefaultBeta = 0.9;

    private Tensor? _average;
    private long _calls;

    /// <summary>Creates the aggregator.</summary>
    /// <param name="beta">β ∈ [0, 1): the moving average's decay (0 uses the current gradients only).</param>
    /// <param name="betaSigma">σ ≥ 0: βₖ = β/k^σ decays the decay over calls (0 keeps β).</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range.</exception>
    public DbMtl(double beta = DefaultBeta, double betaSigma = 0)
    {
        if (!(beta >= 0 && beta < 1))
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "DB-MTL's beta must be in [0, 1).");
        if (!(betaSigma >= 0) || double.IsInfinity(betaSigma))
            throw new ArgumentOutOfRangeException(nameof(betaSigma), betaSigma, "DB-MTL's betaSigma must be finite and ≥ 0.");
        Beta = beta;
        BetaSigma = betaSigma;
    }

    /// <inheritdoc />
    public string Name => "DB-MTL";

    /// <summary>β.</summary>
    public double Beta { get; }

    /// <summary>σ.</summary>
    public double BetaSigma { get; }

    /// <summary>Calls since construction or the last <see cref="Reset"/> (k of the last call).</summary>
    public long Calls => _calls;

    /// <inheritdoc />
    public Tensor Aggregate(Tensor gradients) => GradientMatrix.AggregateToNew(gradients, Combine);

    /// <inheritdoc />
    public GradientDiagnostics Aggregate(Tensor gradients, Tensor destination) => GradientMatrix.AggregateInto(gradients, destination, Combine);

    /// <summary>Forgets the moving average (releasing its memory); the next call is the first.</summary>
    public void Reset()
    {
        _average?.Dispose();
        _average = null;
        _calls = 0;
    }

    /// <summary>Releases the moving average.</summary>
    public void Dispose() => Reset();

    private GradientDiagnostics Combine(Tensor gradients, Tensor destination)
    {
        using var scope = NewDisposeScope();
        var accumulated = GradientMatrix.Accumulated(gradients);
        var gramian = GradientMatrix.ComputeGramian(accumulated);
        var average = Average(accumulated);
        var decay = Beta / Math.Pow(_calls + 1, BetaSigma);
        average.mul_(decay).add_(accumulated, alpha: 1 - decay);
        _calls++;
        var norms = torch.linalg.vector_norm(average, dims: [1]).to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        var largest = norms.Max();
        var weights = norms.Select(n => n > 0 ? largest / n : 0).ToArray();
        GradientMatrix.Combine(average, weights, destination);
        return GradientDiagnostics.Unweighted(gramian, GradientMatrix.UpdateNorm(destination));
    }

    /// <summary>The kept average for gradients shaped like <paramref name="accumulated"/> (zeros on the first call).</summary>
    private Tensor Average(Tensor accumulated)
    {
        if (_average is { } kept)
        {
            if (kept.shape.SequenceEqual(accumulated.shape) && kept.dtype == accumulated.dtype && kept.device.ToString() == accumulated.device.ToString())
                return kept;
            throw new ArgumentException($"DB-MTL averages gradients of shape [{string.Join(", ", kept.shape)}] ({kept.dtype} on {kept.device}); got [{string.Join(", ", accumulated.shape)}] ({accumulated.dtype} on {accumulated.device}). Call Reset() to start over.", "gradients");
        }
        _average = torch.zeros_like(accumulated).DetachFromDisposeScope();
        return _average;
    }
}
