using System;

namespace GradSurgery;

/// <summary>
/// CAGrad, conflict-averse gradient descent (Liu et al., NeurIPS 2021, Algorithm 1): the update d
/// maximises the worst task's improvement minᵢ gᵢ·d within the ball ‖d − g₀‖ ≤ c‖g₀‖ around the mean
/// gradient g₀. Through its dual, w = argmin over the simplex of g_w·g₀ + c‖g₀‖·‖g_w‖ and
/// d = g₀ + (c‖g₀‖/‖g_w‖)·g_w, then rescaled (default 1/(1+c²)).
/// </summary>
/// <remarks>
/// <para>The dual is solved to optimality (see the tests' KKT checks), not to the 1e-6 tolerance of
/// the authors' SLSQP call, so its objective is never above theirs.</para>
/// <para>c = 0 gives the mean gradient. With c ≥ 1 the update never conflicts with any task. Where the
/// mean gradient is zero, d = g₀ = 0 (the ball is a point).</para>
/// <para>Where the optimal g_w is zero (the origin is in the convex hull of the gradients; ‖g_w‖ below
/// 1e-7 of the largest gradient norm), the formula's direction g_w/‖g_w‖ is undefined (the official
/// code's 1e-8 offsets make it arbitrary) and the primal's optimal value is 0: every d in the ball
/// with gᵢ·d ≥ 0 for all i is optimal. The update is the one closest to g₀, the Euclidean projection
/// of g₀ onto the cone {d : gᵢ·d ≥ 0 ∀i}, which strong duality places inside the ball; in Gram space
/// d = g₀ + Σᵢ vᵢ·gᵢ with v ≥ 0 minimising ½vᵀMv + vᵀM·𝟙/T. It conflicts with no task, unlike g₀.</para>
/// </remarks>
public sealed class CAGrad : IGramianWeighting
{
    /// <summary>The default radius factor, c = 0.5, as the paper's and LibMTL's experiments.</summary>
    public const double DefaultC = 0.5;

    /// <summary>Creates CAGrad.</summary>
    /// <param name="c">Radius of the ball around the mean gradient, in units of ‖g₀‖; c ≥ 0 and finite (default 0.5).</param>
    /// <param name="rescale">Final scaling (default 1/(1+c²), as the authors' training code).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="c"/> is negative, NaN or infinite, or <paramref name="rescale"/> is undefined.</exception>
    public CAGrad(double c = DefaultC, CAGradRescale rescale = CAGradRescale.OnePlusCSquared)
    {
        if (!(c >= 0) || double.IsPositiveInfinity(c))
            throw new ArgumentOutOfRangeException(nameof(c), c, "c must be finite and ≥ 0.");
        C = c;
        Rescale = EnumArgument.Defined(rescale, nameof(rescale));
    }

    /// <inheritdoc />
    public string Name => "CAGrad";

    /// <summary>Radius factor c.</summary>
    public double C { get; }

    /// <summary>Final scaling of the update.</summary>
    public CAGradRescale Rescale { get; }

    /// <summary>The weights of d = Σᵢ (1/T + λ·wᵢ)·gᵢ with λ = c‖g₀‖/‖g_w‖, times the rescale factor.</summary>
    public double[] ComputeWeights(Gramian gramian)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        var n = gramian.TaskCount;
        var weights = new double[n];
        Array.Fill(weights, 1.0 / n);
        var g0Squared = gramian.QuadraticForm(weights);
        var rho = C * Math.Sqrt(Math.Max(g0Squared, 0));
        if (rho > 0)
        {
            var w = ConflictAverseDual.Solve(gramian.Values, rho);
            var gwNorm = Math.Sqrt(Math.Max(gramian.QuadraticForm(w), 0));
            if (gwNorm > ConflictAverseDual.ZeroNormFraction * LargestNorm(gramian))
            {
                for (var i = 0; i < n; i++)
                    weights[i] += rho / gwNorm * w[i];
            }
            else
            {
                weights = DualConeProjection.Solve(gramian.Values, weights);
            }
        }
        var factor = Rescale switch
        {
            CAGradRescale.OnePlusCSquared => 1 / (1 + (C * C)),
            CAGradRescale.OnePlusC => 1 / (1 + C),
            _ => 1.0,
        };
        for (var i = 0; i < n; i++)
            weights[i] *= factor;
        return weights;
    }

    /// <summary>
    /// The dual weights w on the simplex that minimise g_w·g₀ + c‖g₀‖·‖g_w‖ (Algorithm 1, step 1);
    /// the mean weights 1/T when c‖g₀‖ = 0 (every w is then optimal).
    /// </summary>
    internal double[] DualWeights(Gramian gramian)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        var n = gramian.TaskCount;
        var mean = new double[n];
        Array.Fill(mean, 1.0 / n);
        var rho = C * Math.Sqrt(Math.Max(gramian.QuadraticForm(mean), 0));
        return rho > 0 ? ConflictAverseDual.Solve(gramian.Values, rho) : mean;
    }

    private static double LargestNorm(Gramian gramian)
    {
        var largest = 0.0;
        for (var i = 0; i < gramian.TaskCount; i++)
            largest = Math.Max(largest, gramian[i, i]);
        return Math.Sqrt(largest);
    }
}
