using System;

namespace GradSurgery;

/// <summary>
/// The positive root of M·w = w^(−1/α) (elementwise power; α &gt; 0), the optimality condition of the
/// α-fair allocations: α = 1 is Nash-MTL's bargaining solution M·α = 1/α, any α is FairGrad's.
/// </summary>
/// <remarks>
/// <para>The root is the unique minimiser of the strictly convex f(w) = ½wᵀMw − Σᵢ h(wᵢ) over w &gt; 0,
/// with h′(w) = w^(−1/α) (h = log for α = 1): ∇f = M·w − w^(−1/α) vanishes exactly there. f is minimised
/// by Newton's method with a backtracking line search that keeps w &gt; 0 (the Hessian M + diag(wᵢ^(−1/α−1)/α)
/// is positive definite everywhere, so every step descends), to a Newton decrement at round-off. This
/// replaces the convex-program sequence of the Nash-MTL paper and the least-squares calls of the
/// FairGrad code, whose fixed point is the same root, by an exact solve.</para>
/// <para>A root exists exactly when no non-negative combination of the gradients vanishes (the
/// gradients are not Pareto-stationary: f is then coercive). At Pareto-stationary inputs (a zero
/// gradient, opposite gradients) f is unbounded below and the weights of the stationary combination
/// grow without limit. The solver therefore adds <see cref="Regularization"/> times the mean diagonal
/// of M to its diagonal: ordinary roots move by about that relative amount (far below the
/// references' own solver tolerances, ~1e-4), and stationary inputs get large but finite weights whose
/// update is small (a zero gradient's weight multiplies a zero row; opposite gradients cancel).</para>
/// <para>The problem is solved on M divided by its mean diagonal and the root rescaled
/// (w = s^(−α/(α+1))·ŵ for M = s·M̂), so the iteration count does not depend on the gradients' scale.</para>
/// </remarks>
internal static class AlphaFairSystem
{
    /// <summary>
    /// ε of the diagonal regularisation, relative to the mean diagonal of M: it bounds the weights of a
    /// Pareto-stationary input by about ε^(−α/(α+1)) (1e6 for α = 1) and moves ordinary roots by about ε.
    /// </summary>
    public const double Regularization = 1e-12;

    /// <summary>
    /// Newton steps allowed. From the scaled start, ordinary inputs converge in 5–15 and Pareto- but not
    /// strongly stationary ones in under 60 (tested); strongly stationary inputs, whose regularised
    /// weights are huge, may end here in round-off (about 0.1 ms at T = 16).
    /// </summary>
    public const int MaxIterations = 200;

    /// <summary>Squared Newton decrement below which w is the root to round-off (f is then within ½·this of its minimum).</summary>
    private const double DecrementTolerance = 1e-24;

    /// <summary>
    /// Below this squared decrement (f within 5e-7 of its minimum) a decrement that does not fall is
    /// round-off, not progress. Far from the root it falls steadily (by ≥ 1/3 per step even in the slow
    /// phase where α &lt; 1 and the weights grow geometrically), so the test never stops that phase.
    /// </summary>
    private const double StallRegion = 1e-6;

    /// <summary>Armijo's sufficient-decrease fraction of the line search.</summary>
    private const double Armijo = 0.25;

    /// <summary>The largest Newton decrement at which a full step is taken without the line search (inside Newton's quadratic region).</summary>
    private const double QuadraticRegion = 0.25;

    /// <summary>Halvings of the line search before the step is declared lost in round-off.</summary>
    private const int MaxHalvings = 60;

    /// <summary>
    /// The root w &gt; 0 of (M + ε·m̄·I)·w = w^(−1/α), m̄ the mean diagonal of <paramref name="m"/>; all
    /// zeros when <paramref name="m"/> is zero (every gradient is zero: no weights make a difference).
    /// </summary>
    /// <param name="m">A symmetric positive semi-definite T×T matrix.</param>
    /// <param name="alpha">The fairness exponent α, finite and &gt; 0.</param>
    /// <param name="iterations">The Newton steps taken.</param>
    public static double[] Solve(double[,] m, double alpha, out int iterations)
    {
        var n = m.GetLength(0);
        var meanDiagonal = 0.0;
        for (var i = 0; i < n; i++)
            meanDiagonal += m[i, i];
        meanDiagonal /= n;
        iterations = 0;
        if (!(meanDiagonal > 0))
            return new double[n];
        var a = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
                a[i, j] = m[i, j] / meanDiagonal;
            a[i, i] += Regularization;
        }
        var w = Minimise(a, alpha, ref iterations);
        var rescale = Math.Pow(meanDiagonal, -alpha / (alpha + 1));
        for (var i = 0; i < n; i++)
            w[i] *= rescale;
        return w;
    }

    /// <summary>Newton's method on f(w) = ½wᵀAw − Σ h(wᵢ) from the best multiple of 𝟙.</summary>
    private static double[] Minimise(double[,] a, double alpha, ref int iterations)
    {
        var n = a.GetLength(0);
        // Along w = c·𝟙, f′(c) = c·𝟙ᵀA𝟙 − n·c^(−1/α) vanishes at c = (n/𝟙ᵀA𝟙)^(α/(α+1)).
        var total = 0.0;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
                total += a[i, j];
        }
        var w = new double[n];
        Array.Fill(w, Math.Pow(n / total, alpha / (alpha + 1)));
        var gradient = new double[n];
        var hessian = new double[n, n];
        var trial = new double[n];
        var previous = double.PositiveInfinity;
        for (iterations = 0; iterations < MaxIterations; iterations++)
        {
            for (var i = 0; i < n; i++)
            {
                var aw = 0.0;
                for (var j = 0; j < n; j++)
                {
                    aw += a[i, j] * w[j];
                    hessian[i, j] = a[i, j];
                }
                var power = Math.Pow(w[i], -1 / alpha);
                gradient[i] = aw - power;
                hessian[i, i] += power / (alpha * w[i]);
            }
            var step = Cholesky.TrySolve(hessian, gradient, 0);
            if (step is null)
                break; // The Hessian is positive definite; only overflow could get here.
            var decrement = 0.0;
            for (var i = 0; i < n; i++)
            {
                step[i] = -step[i];
                decrement -= gradient[i] * step[i];
            }
            // Near the root each step squares the decrement until round-off in M·w sets a floor (about
            // 1e-13 when Pareto-stationary inputs make the weights large); a decrement that stops
            // falling there means the root is reached to working precision.
            if (!(decrement > DecrementTolerance) || (decrement < StallRegion && decrement >= previous))
                break;
            previous = decrement;
            if (!TakeStep(a, alpha, w, step, decrement, trial))
                break;
        }
        return w;
    }

    /// <summary>
    /// w ← w + t·Δ with t halved from 1 until w stays positive and f decreases enough (Armijo; inside
    /// Newton's quadratic region only positivity is asked); false, w unchanged, when no t does before the
    /// step falls below w's resolution (f's round-off then exceeds what is left to gain) or within
    /// <see cref="MaxHalvings"/> halvings. Internal for tests (the line search on its own).
    /// </summary>
    internal static bool TakeStep(double[,] a, double alpha, double[] w, double[] step, double decrement, double[] trial)
    {
        var full = Math.Sqrt(decrement) < QuadraticRegion;
        var current = full ? 0 : Objective(a, alpha, w);
        var t = 1.0;
        for (var halving = 0; halving < MaxHalvings; halving++, t *= 0.5)
        {
            var positive = true;
            var moved = false;
            for (var i = 0; i < w.Length; i++)
            {
                trial[i] = w[i] + (t * step[i]);
                positive &= trial[i] > 0;
                moved |= trial[i] != w[i];
            }
            if (!moved)
                return false; // The step is below w's resolution: nothing left to gain.
            if (!positive)
                continue;
            if (full || Objective(a, alpha, trial) <= current - (Armijo * t * decrement))
            {
                Array.Copy(trial, w, w.Length);
                return true;
            }
        }
        return false;
    }

    /// <summary>f(w) = ½wᵀAw − Σ h(wᵢ), h(w) = log w for α = 1 and w^(1−1/α)/(1−1/α) otherwise (internal for tests).</summary>
    internal static double Objective(double[,] a, double alpha, double[] w)
    {
        var n = w.Length;
        var value = 0.0;
        for (var i = 0; i < n; i++)
        {
            var aw = 0.0;
            for (var j = 0; j < n; j++)
                aw += a[i, j] * w[j];
            value += 0.5 * w[i] * aw;
            value -= alpha == 1 ? Math.Log(w[i]) : Math.Pow(w[i], 1 - (1 / alpha)) / (1 - (1 / alpha));
        }
        return value;
    }
}
