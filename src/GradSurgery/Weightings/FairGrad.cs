using System;

namespace GradSurgery;

/// <summary>
/// FairGrad (Ban &amp; Ji, Fair Resource Allocation in Multi-Task Learning, ICML 2024): the α-fair
/// allocation of improvement between tasks. The update d = Σₜ wₜ·gₜ maximises Σₜ (gₜ·d)^(1−α)/(1−α)
/// (Σ log for α = 1) on a ball, whose optimality condition is M·w = w^(−1/α) (elementwise).
/// </summary>
/// <remarks>
/// <para>α tunes fairness: α → 0 approaches linear scalarisation, α = 1 is proportional fairness (the
/// Nash-MTL equation on the raw Gram matrix), α = 2 minimum potential delay, α → ∞ max-min fairness
/// (MGDA's direction). The paper's experiments use α ∈ {0.5, 1, 2, 5, 10}; the default 1 is LibMTL's.</para>
/// <para>As the paper and both references, the equation is solved on the raw M (no normalisation), so the
/// update scales as s^((1−α)/(1+α)) with the gradients' scale s: FairGrad is not linear under scaling.
/// The references run scipy's least-squares from w = 𝟙/T and return wherever it stops; here the positive
/// root is solved exactly (Newton's method on the convex potential ½wᵀMw − Σ h(wₜ), h′(w) = w^(−1/α)).
/// Where no positive root exists (Pareto-stationary gradients: a zero gradient, gradients cancelling with
/// positive weights), a relative 1e-12 diagonal regularisation keeps the weights finite and the update
/// small; all-zero gradients get zero weights.</para>
/// <para>Every task's improvement gₜ·d = wₜ^(−1/α) is positive: the update never conflicts.</para>
/// </remarks>
public sealed class FairGrad : IGramianWeighting
{
    /// <summary>LibMTL's default α (proportional fairness).</summary>
    public const double DefaultAlpha = 1.0;

    /// <summary>Creates FairGrad.</summary>
    /// <param name="alpha">The fairness exponent α: finite and &gt; 0 (default 1).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not finite and positive.</exception>
    public FairGrad(double alpha = DefaultAlpha)
    {
        if (!(alpha > 0) || double.IsInfinity(alpha))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "FairGrad's alpha must be finite and > 0 (the paper uses 0.5 … 10; 1 is proportional fairness).");
        Alpha = alpha;
    }

    /// <inheritdoc />
    public string Name => "FairGrad";

    /// <summary>The fairness exponent α.</summary>
    public double Alpha { get; }

    /// <summary>The positive root w of M·w = w^(−1/α).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="gramian"/> is null.</exception>
    public double[] ComputeWeights(Gramian gramian)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        return AlphaFairSystem.Solve(gramian.Values, Alpha, out _);
    }
}
