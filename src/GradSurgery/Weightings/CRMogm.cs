using System;

namespace GradSurgery;

/// <summary>
/// CR-MOGM, correlation-reduced multi-objective gradient manipulation (Zhou et al., On the Convergence of
/// Stochastic Multi-Objective Gradient Manipulation and Beyond, NeurIPS 2022): any weighting's weights
/// smoothed by an exponential moving average across steps, w̃ₖ = β·w̃ₖ₋₁ + (1 − β)·wₖ, which decorrelates
/// the weights from the current mini-batch's gradients (the cause of the bias the paper proves for
/// stochastic MGDA, PCGrad and CAGrad).
/// </summary>
/// <remarks>
/// <para>β is the weight of the past (the paper's αₖ held constant). The first call returns the inner
/// weights themselves (the average starts there, not at zero). The average is this decorator's state;
/// <see cref="Reset"/> clears it and resets the inner weighting when that is stateful.</para>
/// <para>An average of conflict-free weights need not be conflict-free for the current gradients; the
/// decorator keeps linearity in the gradients' scale only where the inner weights are scale-free.</para>
/// </remarks>
public sealed class CRMogm : IStatefulWeighting
{
    /// <summary>A common smoothing of the past weights.</summary>
    public const double DefaultBeta = 0.9;

    private double[]? _average;

    /// <summary>Smooths the weights of <paramref name="inner"/>.</summary>
    /// <param name="inner">The weighting whose weights are averaged (its own instance: the decorator calls it every step).</param>
    /// <param name="beta">Weight β of the previous average, in [0, 1) (default 0.9; 0 returns the inner weights unchanged).</param>
    /// <exception cref="ArgumentNullException"><paramref name="inner"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="beta"/> is outside [0, 1).</exception>
    public CRMogm(IGramianWeighting inner, double beta = DefaultBeta)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (!(beta >= 0 && beta < 1))
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "CR-MOGM's beta must be in [0, 1).");
        Inner = inner;
        Beta = beta;
    }

    /// <summary>"CR-MOGM(" + the inner weighting's name + ")".</summary>
    public string Name => $"CR-MOGM({Inner.Name})";

    /// <summary>The weighting whose weights are averaged.</summary>
    public IGramianWeighting Inner { get; }

    /// <summary>Weight β of the previous average.</summary>
    public double Beta { get; }

    /// <summary>Clears the average and resets a stateful inner weighting.</summary>
    public void Reset()
    {
        _average = null;
        (Inner as IStatefulWeighting)?.Reset();
    }

    /// <summary>w̃ = β·w̃ + (1 − β)·inner(M), the inner weights themselves on the first call.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="gramian"/> is null.</exception>
    /// <exception cref="ArgumentException">The task count differs from the average's (call <see cref="Reset"/> first).</exception>
    public double[] ComputeWeights(Gramian gramian)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        var current = Inner.ComputeWeights(gramian);
        if (_average is null)
        {
            _average = (double[])current.Clone();
            return current;
        }
        if (_average.Length != current.Length)
            throw new ArgumentException($"CR-MOGM holds an average of {_average.Length} weights but {Inner.Name} returned {current.Length}; call Reset() when the task count changes.", nameof(gramian));
        for (var i = 0; i < current.Length; i++)
            _average[i] = (Beta * _average[i]) + ((1 - Beta) * current[i]);
        return (double[])_average.Clone();
    }
}
