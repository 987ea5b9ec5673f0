using System;

namespace GradSurgery;

/// <summary>
/// Nash-MTL (Navon et al., Multi-Task Learning as a Bargaining Game, ICML 2022): the Nash bargaining
/// solution d = Σₜ αₜ·gₜ with (GᵀG)·α = 1/α, so that every task's utility gₜ·d = 1/αₜ is positive and
/// their product is maximal on a ball.
/// </summary>
/// <remarks>
/// <para>As the authors' code, TorchJD and LibMTL: the equation is solved on M/‖M‖_F (Frobenius norm),
/// the weights are that root (so the update is linear in the gradients' scale), the weights are
/// recomputed every <see cref="UpdateWeightsEvery"/> calls and reused in between, and the update is
/// rescaled to norm <see cref="MaxNorm"/> when longer (0 disables; the references clip the shared
/// parameters' gradient norm, which is this update's norm). In representation mode the clip applies to
/// the update of the representation.</para>
/// <para>The root is solved exactly (Newton's method on the convex potential whose gradient is
/// M·α − 1/α, to round-off) instead of the paper's sequence of convex programs, which the references
/// stop after 20 programs or a residual of 1e-3 (up to ~1e-4 relative from the root). At
/// Pareto-stationary inputs (a zero gradient, gradients cancelling with positive weights) no root
/// exists; a relative 1e-12 diagonal regularisation keeps the weights finite there and the update
/// small. All-zero gradients get zero weights.</para>
/// <para>Stateful only through the reuse of weights (<see cref="IStatefulWeighting"/>): with the default
/// <see cref="UpdateWeightsEvery"/> = 1 every call is a pure function of M.</para>
/// </remarks>
public sealed class NashMtl : IStatefulWeighting
{
    /// <summary>The references' update-norm cap.</summary>
    public const double DefaultMaxNorm = 1.0;

    private double[]? _weights;
    private long _calls;

    /// <summary>Creates Nash-MTL.</summary>
    /// <param name="updateWeightsEvery">Recompute the weights every this many calls (≥ 1; default 1, as the references).</param>
    /// <param name="maxNorm">Largest norm of the update (finite, ≥ 0; default 1.0 as the references; 0 disables the cap).</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public NashMtl(int updateWeightsEvery = 1, double maxNorm = DefaultMaxNorm)
    {
        if (updateWeightsEvery < 1)
            throw new ArgumentOutOfRangeException(nameof(updateWeightsEvery), updateWeightsEvery, "Nash-MTL's updateWeightsEvery must be at least 1.");
        if (!(maxNorm >= 0) || double.IsInfinity(maxNorm))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "Nash-MTL's maxNorm must be finite and ≥ 0 (0 disables the cap).");
        UpdateWeightsEvery = updateWeightsEvery;
        MaxNorm = maxNorm;
    }

    /// <inheritdoc />
    public string Name => "Nash-MTL";

    /// <summary>The weights are recomputed on every this many calls (the first call always computes).</summary>
    public int UpdateWeightsEvery { get; }

    /// <summary>Largest norm of the update; 0 when uncapped.</summary>
    public double MaxNorm { get; }

    /// <summary>Forgets the reused weights and the call count.</summary>
    public void Reset()
    {
        _weights = null;
        _calls = 0;
    }

    /// <summary>α with (M/‖M‖_F)·α = 1/α (reused between recomputations), scaled down when ‖Σ αₜgₜ‖ exceeds <see cref="MaxNorm"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="gramian"/> is null.</exception>
    /// <exception cref="ArgumentException">The task count changed while weights are being reused (call <see cref="Reset"/> first).</exception>
    public double[] ComputeWeights(Gramian gramian)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        var n = gramian.TaskCount;
        if (_weights is not null && _weights.Length != n && _calls % UpdateWeightsEvery != 0)
            throw new ArgumentException($"Nash-MTL is reusing weights of {_weights.Length} tasks but got {n}; call Reset() when the task count changes.", nameof(gramian));
        if (_calls++ % UpdateWeightsEvery == 0)
            _weights = Solve(gramian);
        var weights = (double[])_weights!.Clone();
        if (MaxNorm > 0)
        {
            var norm = Math.Sqrt(Math.Max(gramian.QuadraticForm(weights), 0));
            if (norm > MaxNorm)
            {
                for (var i = 0; i < n; i++)
                    weights[i] *= MaxNorm / norm;
            }
        }
        return weights;
    }

    private static double[] Solve(Gramian gramian)
    {
        var n = gramian.TaskCount;
        var frobenius = 0.0;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
                frobenius += gramian[i, j] * gramian[i, j];
        }
        frobenius = Math.Sqrt(frobenius);
        if (!(frobenius > 0))
            return new double[n];
        var normalised = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
                normalised[i, j] = gramian[i, j] / frobenius;
        }
        return AlphaFairSystem.Solve(normalised, 1, out _);
    }
}
