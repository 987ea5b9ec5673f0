using System;

namespace GradSurgery;

/// <summary>
/// The CAGrad dual F(w) = bᵀw + ρ·√(wᵀKw) minimised over the simplex by an active-set search whose
/// every step is closed-form on a support S; a result is returned only when it satisfies the KKT
/// conditions of the full problem.
/// </summary>
/// <remarks>
/// With r = √(wᵀKw) &gt; 0, stationarity on S reads b_S + ρ·K_SS·w_S/r = λ·1. With u = K_SS⁻¹·1,
/// v = K_SS⁻¹·b_S, α = 1ᵀu, β = 1ᵀv, γ = b_Sᵀv it gives w_S = (r/ρ)(λu − v); the constraints
/// 1ᵀw_S = 1 and w_SᵀK_SS·w_S = r² then reduce to α·λ² − 2β·λ + γ − ρ² = 0, whose root with r &gt; 0
/// is λ = (β + √Δ)/α, Δ = β² − α(γ − ρ²), so w_S = (λu − v)/√Δ and r = ρ/√Δ. The answer is the
/// optimum when w_S ≥ 0 and every task off S has ∂F/∂wᵢ ≥ λ (F is convex).
/// </remarks>
internal static class ConflictAverseSupport
{
    /// <summary>
    /// Slack of the KKT test, relative to the scale 1 + ρ of ∂F (K is normalised to max Kᵢᵢ = 1):
    /// far above the closed form's rounding, far below the tests' 1e-9.
    /// </summary>
    private const double KktTolerance = 1e-11;

    /// <summary>A Cholesky pivot below this fraction of the diagonal marks K_SS as singular (dependent gradients on S).</summary>
    private const double SingularPivot = 1e-12;

    /// <summary>
    /// Active-set steps allowed per task before giving up: each step drops the most negative weight
    /// or adds the most violating task; the search is a shortcut, so a cap (then the caller's exact
    /// search) is safer than proving it never cycles.
    /// </summary>
    private const int StepsPerTask = 2;

    /// <summary>
    /// Starting from the support of <paramref name="candidate"/> (all tasks when null), solves on the
    /// support in closed form, drops the most negative weight or adds the most KKT-violating task, and
    /// repeats. Returns the optimum once the KKT test passes; null when a step has no solution
    /// (K_SS singular, no r &gt; 0) or the step cap is reached.
    /// </summary>
    public static double[]? TrySolve(double[,] k, double[] b, double rho, double[]? candidate)
    {
        var n = b.Length;
        var inSupport = new bool[n];
        for (var i = 0; i < n; i++)
            inSupport[i] = candidate is null || candidate[i] > 0;
        var support = new int[n];
        var factor = new double[n, n];
        var u = new double[n];
        var v = new double[n];
        var w = new double[n];
        var tolerance = KktTolerance * (1 + rho);
        for (var step = 0; step < StepsPerTask * n; step++)
        {
            var m = 0;
            for (var i = 0; i < n; i++)
            {
                if (inSupport[i])
                    support[m++] = i;
            }
            if (m == 0 || !Cholesky.TryFactor(k, support, m, SingularPivot, factor))
                return null;
            for (var a = 0; a < m; a++)
            {
                u[a] = 1;
                v[a] = b[support[a]];
            }
            Cholesky.SolveInPlace(factor, m, u);
            Cholesky.SolveInPlace(factor, m, v);
            double alpha = 0, beta = 0, gamma = 0;
            for (var a = 0; a < m; a++)
            {
                alpha += u[a];
                beta += v[a];
                gamma += b[support[a]] * v[a];
            }
            var discriminant = (beta * beta) - (alpha * (gamma - (rho * rho)));
            if (!(discriminant > 0) || !(alpha > 0))
                return null;
            var root = Math.Sqrt(discriminant);
            var lambda = (beta + root) / alpha;
            var r = rho / root;

            var mostNegative = -1;
            var lowest = -tolerance;
            Array.Clear(w);
            var sum = 0.0;
            for (var a = 0; a < m; a++)
            {
                var value = ((lambda * u[a]) - v[a]) / root;
                if (value < lowest)
                {
                    lowest = value;
                    mostNegative = support[a];
                }
                w[support[a]] = Math.Max(value, 0);
                sum += w[support[a]];
            }
            if (mostNegative >= 0)
            {
                inSupport[mostNegative] = false;
                continue;
            }

            var mostViolating = -1;
            var worst = -tolerance;
            for (var i = 0; i < n; i++)
            {
                if (inSupport[i])
                    continue;
                var kw = 0.0;
                for (var a = 0; a < m; a++)
                    kw += k[i, support[a]] * w[support[a]];
                var slack = b[i] + (rho * kw / r) - lambda;
                if (slack < worst)
                {
                    worst = slack;
                    mostViolating = i;
                }
            }
            if (mostViolating >= 0)
            {
                inSupport[mostViolating] = true;
                continue;
            }
            var result = new double[n];
            for (var i = 0; i < n; i++)
                result[i] = w[i] / sum;
            return result;
        }
        return null;
    }
}
