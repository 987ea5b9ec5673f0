using System;
using MathNet.Numerics.RootFinding;

namespace GradSurgery;

/// <summary>
/// The dual problem of CAGrad (Liu et al. 2021, Eq. 4 and Algorithm 1):
/// minimise F(w) = bᵀw + ρ·√(wᵀMw) over the simplex, with b = M·1/T (so bᵀw = g_w·g₀) and ρ = c‖g₀‖.
/// </summary>
/// <remarks>
/// √q = minₜ (q/t + t)/2 turns F into a jointly convex problem in (w, t). For fixed t, the best w
/// solves a simplex QP (ρ/2t)·wᵀMw + bᵀw, which is the minimum-norm point of the translated points
/// gᵢ + (t/ρ)·g₀, solved exactly by Wolfe's algorithm. The optimal t is the root of the monotone
/// function √q(t) − t with q(t) = ‖g_w(t)‖², found by Brent's method to full double precision. The
/// result is therefore optimal to rounding, checked in the tests by the KKT conditions of F.
/// Shortcut: once a candidate support S is known (all tasks first, then the support of each w(t)),
/// <see cref="ConflictAverseSupport"/> solves the KKT system on S in closed form and, when the
/// result passes the KKT test, the search ends there; typically after zero to two inner solves.
/// </remarks>
internal static class ConflictAverseDual
{
    /// <summary>Accuracy of the root t, relative to the bracket's lower end (t ≤ 1 after normalisation): the resolution of double.</summary>
    private const double RootTolerance = 4 * Gramian.DoublePrecisionEpsilon;

    /// <summary>Iteration cap for Brent's method; it needs about 10–40 for double precision, the cap only guards against rounding loops.</summary>
    private const int MaxRootIterations = 200;

    /// <summary>
    /// Weights w on the simplex minimising F. When the origin lies in the convex hull of the gradients
    /// the minimum may be at g_w = 0; the result then has ‖g_w‖ below <see cref="ZeroNormFraction"/>
    /// of the largest gradient norm.
    /// </summary>
    public static double[] Solve(double[,] m, double rho) => Solve(m, rho, useClosedForm: true, out _);

    /// <summary>
    /// <see cref="Solve(double[,], double)"/> with the closed-form shortcut optional and the route
    /// reported: with <paramref name="useClosedForm"/> false, neither the start from all tasks nor the
    /// closed form on the support of each inner solution is tried, so the bracket and Brent's search
    /// alone find the optimum (the seam through which the tests check each half on its own).
    /// </summary>
    internal static double[] Solve(double[,] m, double rho, bool useClosedForm, out ConflictAverseRoute route)
    {
        var n = m.GetLength(0);
        var scale = 0.0;
        for (var i = 0; i < n; i++)
            scale = Math.Max(scale, m[i, i]);
        route = ConflictAverseRoute.SingleTask;
        if (n == 1)
            return new[] { 1.0 };

        // Normalise to max Mᵢᵢ = 1: every tolerance below becomes relative.
        var k = new double[n, n];
        var b = new double[n];
        var g0Squared = 0.0;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                k[i, j] = m[i, j] / scale;
                b[i] += k[i, j] / n;
            }
            g0Squared += b[i] / n;
        }
        var problem = new Problem(k, b, g0Squared, rho / Math.Sqrt(scale), useClosedForm);

        // Fast path: the closed-form active-set search starting from all tasks; its result is
        // returned only when it passes the KKT test, else the exact search below runs.
        route = ConflictAverseRoute.ClosedForm;
        if (useClosedForm && ConflictAverseSupport.TrySolve(k, b, problem.Rho, null) is { } allTasks)
            return allTasks;
        var mgda = MinimumNormPoint.Solve(k);
        var lowest = Math.Sqrt(Math.Max(QuadraticForm(k, mgda), 0));
        var high = 1.0;
        var low = Math.Max(lowest, ZeroNormFraction);
        route = ConflictAverseRoute.BracketEnd;
        var hLow = problem.Residual(low, out var wLow);
        if (hLow <= 0)
            return wLow;
        var hHigh = problem.Residual(high, out var wHigh);
        if (hHigh >= 0)
            return wHigh;
        route = ConflictAverseRoute.RootSearch;
        return RootSearch(problem, low, high);
    }

    /// <summary>‖g_w‖ below this fraction of the largest gradient norm counts as zero (below it, √q is rounding noise of a float64 Gram).</summary>
    public const double ZeroNormFraction = 1e-7;

    /// <summary>The normalised dual: K (max Kᵢᵢ = 1), b = K·1/T, ‖g₀‖² = bᵀ1/T, ρ in units of √max Mᵢᵢ.</summary>
    private sealed record Problem(double[,] K, double[] B, double G0Squared, double Rho, bool UseClosedForm)
    {
        /// <summary>
        /// √q(t) − t, with the inner minimiser w(t). When the closed form on the support of w(t) passes
        /// the KKT test, w is that exact optimum and the residual is reported as 0, ending the search.
        /// </summary>
        public double Residual(double t, out double[] w)
        {
            var tau = t / Rho;
            var n = B.Length;
            var shifted = new double[n, n];
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++)
                    shifted[i, j] = K[i, j] + (tau * (B[i] + B[j])) + (tau * tau * G0Squared);
            }
            w = MinimumNormPoint.Solve(shifted);
            if (UseClosedForm && ConflictAverseSupport.TrySolve(K, B, Rho, w) is { } exact)
            {
                w = exact;
                return 0;
            }
            return Math.Sqrt(Math.Max(QuadraticForm(K, w), 0)) - t;
        }
    }

    /// <summary>
    /// The root of √q(t) − t on a sign-changing bracket by Brent's method (MathNet.Numerics), then the
    /// inner solution there. A residual reported as 0 (the closed form on an inner solution's support
    /// passed the KKT test) ends the search at once.
    /// </summary>
    private static double[] RootSearch(Problem problem, double low, double high)
    {
        var accuracy = RootTolerance * low; // absolute; MathNet adds 2ε·|t| of its own, so t is resolved to double precision at any scale
        if (!Brent.TryFindRoot(t => problem.Residual(t, out _), low, high, accuracy, MaxRootIterations, out var root))
            root = 0.5 * (low + high); // unreachable for a continuous residual with a sign change; the midpoint keeps w feasible
        problem.Residual(root, out var w);
        return w;
    }

    private static double QuadraticForm(double[,] k, double[] w)
    {
        var s = 0.0;
        for (var i = 0; i < w.Length; i++)
        {
            for (var j = 0; j < w.Length; j++)
                s += w[i] * k[i, j] * w[j];
        }
        return s;
    }
}
