using System;

namespace GradSurgery;

/// <summary>
/// GradVac, gradient vaccine (Wang et al., Investigating and Improving Multi-task Optimization in
/// Massively Multilingual Models, ICLR 2021, Algorithm 1): PCGrad with an adaptive target. For each task
/// i and every other task j in random order, with φ = cos(gᵢ′, gⱼ) and φ̂ᵢⱼ the moving target: if φ &lt; φ̂ᵢⱼ,
/// gᵢ′ ← gᵢ′ + ‖gᵢ′‖·(φ̂ᵢⱼ√(1−φ²) − φ√(1−φ̂ᵢⱼ²)) / (‖gⱼ‖√(1−φ̂ᵢⱼ²))·gⱼ, which sets the cosine to φ̂ᵢⱼ;
/// then φ̂ᵢⱼ ← (1−β)·φ̂ᵢⱼ + β·φ. The update is Σᵢ gᵢ′.
/// </summary>
/// <remarks>
/// <para>As LibMTL: β = 0.5, targets start at 0 (so the first step is PCGrad), the target moves after
/// every visit (whether or not the gradient was adjusted), j = i is skipped, and the projected
/// gradients are summed. Computed on the Gram matrix like <see cref="PCGrad"/> (gᵢ′ as coefficients on
/// the original gradients), with the whole model as one group; <see cref="GroupedAggregator"/> applies
/// it per parameter group, the paper's finer granularities.</para>
/// <para>Where the references divide by zero: pairs with a zero gradient are skipped (no adjustment,
/// target unchanged), and no adjustment is made while the target is ±1 (no finite multiple of gⱼ
/// reaches it; φ̂ reaches 1 only after about 50 steps of identical directions). Scale-free cosines keep
/// the update linear in the gradients' scale.</para>
/// <para>The targets and the random order are this weighting's state (<see cref="IStatefulWeighting"/>):
/// one instance per run, thread and parameter group; <see cref="Reset"/> zeroes the targets and replays
/// the order.</para>
/// </remarks>
public sealed class GradVac : IStatefulWeighting
{
    /// <summary>LibMTL's and TorchJD's EMA rate of the target cosines.</summary>
    public const double DefaultBeta = 0.5;

    private readonly int _seed;
    private Random _random;
    private double[,]? _targets;

    /// <summary>Creates GradVac.</summary>
    /// <param name="beta">EMA rate β of the target cosines, in [0, 1] (default 0.5; 0 freezes the targets at 0, which is PCGrad).</param>
    /// <param name="order">Random task order per task (default, as the paper) or fixed index order.</param>
    /// <param name="seed">Seed of the random order; null draws one from the system (once, so that <see cref="Reset"/> replays it).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="beta"/> is outside [0, 1] or an enum value is undefined.</exception>
    public GradVac(double beta = DefaultBeta, PCGradTaskOrder order = PCGradTaskOrder.Random, int? seed = null)
    {
        if (!(beta >= 0 && beta <= 1))
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "GradVac's beta must be in [0, 1].");
        Beta = beta;
        Order = EnumArgument.Defined(order, nameof(order));
        _seed = seed ?? Random.Shared.Next();
        _random = new Random(_seed);
    }

    /// <inheritdoc />
    public string Name => "GradVac";

    /// <summary>EMA rate β of the target cosines.</summary>
    public double Beta { get; }

    /// <summary>Random (default) or fixed task order.</summary>
    public PCGradTaskOrder Order { get; }

    /// <summary>A copy of the current target cosines φ̂ (T×T; null before the first call).</summary>
    public double[,]? TargetCosines => (double[,]?)_targets?.Clone();

    /// <summary>Zeroes the targets and restarts the random order from the seed.</summary>
    public void Reset()
    {
        _targets = null;
        _random = new Random(_seed);
    }

    /// <summary>w = Σᵢ cᵢ, with cᵢ the coefficients of gᵢ′ in the original gradients; updates the targets.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="gramian"/> is null.</exception>
    /// <exception cref="ArgumentException">The task count differs from the targets' (call <see cref="Reset"/> first).</exception>
    public double[] ComputeWeights(Gramian gramian)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        var n = gramian.TaskCount;
        _targets ??= new double[n, n];
        if (_targets.GetLength(0) != n)
            throw new ArgumentException($"GradVac holds target cosines of {_targets.GetLength(0)} tasks but got {n}; call Reset() when the task count changes.", nameof(gramian));
        var weights = new double[n];
        var coefficients = new double[n];
        var projections = new double[n];
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            Array.Clear(coefficients);
            coefficients[i] = 1;
            for (var k = 0; k < n; k++)
                projections[k] = gramian[i, k];
            var squaredNorm = gramian[i, i];
            for (var k = 0; k < n; k++)
                order[k] = k;
            if (Order == PCGradTaskOrder.Random)
                _random.Shuffle(order);
            foreach (var j in order)
            {
                if (j == i || !(gramian[j, j] > 0) || !(squaredNorm > 0))
                    continue;
                var norm = Math.Sqrt(squaredNorm);
                var otherNorm = Math.Sqrt(gramian[j, j]);
                var cosine = Math.Clamp(projections[j] / (norm * otherNorm), -1, 1);
                var target = _targets[i, j];
                var targetSine = Math.Sqrt(1 - (target * target));
                if (cosine < target && targetSine > 0)
                {
                    var step = norm * ((target * Math.Sqrt(1 - (cosine * cosine))) - (cosine * targetSine)) / (otherNorm * targetSine);
                    coefficients[j] += step;
                    squaredNorm += (2 * step * projections[j]) + (step * step * gramian[j, j]);
                    for (var k = 0; k < n; k++)
                        projections[k] += step * gramian[j, k];
                }
                _targets[i, j] = ((1 - Beta) * target) + (Beta * cosine);
            }
            for (var k = 0; k < n; k++)
                weights[k] += coefficients[k];
        }
        return weights;
    }
}
