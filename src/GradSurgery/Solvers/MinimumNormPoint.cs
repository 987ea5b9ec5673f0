using System;

namespace GradSurgery;

/// <summary>
/// Wolfe's algorithm for the point of minimum norm in the convex hull of n points, written on
/// their Gram matrix K (P. Wolfe, "Finding the nearest point in a polytope", Math. Programming 11,
/// 1976). It solves min over the simplex of wᵀKw exactly, in finitely many steps: each step adds
/// the most violating point to a "corral" and solves the affine sub-problem on it with a Cholesky
/// factor updated point by point (<see cref="WolfeCorral"/>), so the result is exact up to rounding,
/// not up to an iteration count.
/// </summary>
internal static class MinimumNormPoint
{
    /// <summary>
    /// Relative optimality gap at which the algorithm stops: ‖x‖² − minᵢ x·pᵢ ≤ gap·maxᵢ Kᵢᵢ.
    /// 1e-14 is a few hundred ulps of the largest squared norm, the floor set by rounding in double.
    /// </summary>
    private const double RelativeGap = 1e-14;

    /// <summary>
    /// Major iterations allowed per point. Wolfe's algorithm needs far fewer; the cap is what ends the search
    /// should rounding ever hand the entering point a non-positive affine weight (in exact arithmetic a point
    /// that violates optimality always gets a positive one, Wolfe 1976): it would then leave at once and
    /// be chosen again, each time without changing the weights.
    /// </summary>
    private const int IterationsPerPoint = 50;

    /// <summary>Weights w on the simplex minimising wᵀ·K·w.</summary>
    public static double[] Solve(double[,] gram) => Solve(gram, onStep: null);

    /// <summary>
    /// <see cref="Solve(double[,])"/>, reporting every step of the algorithm to <paramref name="onStep"/>
    /// (a seam for tests: the corral's members and a copy of the weights after the start, after each
    /// minor step that drops points and after each affine point accepted inside its simplex).
    /// </summary>
    internal static double[] Solve(double[,] gram, Action<int[], double[]>? onStep)
    {
        var n = gram.GetLength(0);
        var weights = new double[n];
        var scale = 0.0;
        var first = 0;
        for (var i = 0; i < n; i++)
        {
            scale = Math.Max(scale, gram[i, i]);
            if (gram[i, i] < gram[first, first])
                first = i;
        }
        weights[first] = 1;
        if (n == 1 || scale <= 0)
            return weights;

        // Work on K / max Kᵢᵢ (max Kᵢᵢ = 1) so that every tolerance below is relative: scaling all
        // gradients by s changes nothing but the scale.
        var k = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
                k[i, j] = gram[i, j] / scale;
        }

        var corral = new WolfeCorral(k);
        corral.TryAdd(first);
        Report(onStep, corral, weights);
        var products = new double[n];
        for (var iteration = 0; iteration < IterationsPerPoint * n; iteration++)
        {
            var members = corral.Members;
            var count = corral.Count;
            for (var i = 0; i < n; i++)
            {
                var s = 0.0;
                for (var a = 0; a < count; a++)
                    s += k[i, members[a]] * weights[members[a]];
                products[i] = s;
            }
            var normSquared = 0.0;
            for (var a = 0; a < count; a++)
                normSquared += weights[members[a]] * products[members[a]];
            var entering = 0;
            for (var i = 1; i < n; i++)
            {
                if (products[i] < products[entering])
                    entering = i;
            }
            // A member of the corral cannot enter: it is affinely dependent on the corral (its new pivot is
            // 0), so TryAdd refuses it, as it refuses a point dependent to within its pivot tolerance.
            if (normSquared - products[entering] <= RelativeGap || !corral.TryAdd(entering))
                break;
            MinorCycle(corral, weights, onStep);
        }
        return weights;
    }

    /// <summary>
    /// Moves the weights towards the affine minimum-norm point of the corral, dropping points whose
    /// weight reaches zero, until that point lies inside the corral's simplex (at the latest when one
    /// point is left).
    /// </summary>
    private static void MinorCycle(WolfeCorral corral, double[] weights, Action<int[], double[]>? onStep)
    {
        var members = corral.Members;
        var affine = corral.Affine;
        while (true)
        {
            corral.SolveAffine();
            var count = corral.Count;
            var inside = true;
            for (var a = 0; a < count; a++)
                inside &= affine[a] > 0;
            if (inside)
            {
                for (var a = 0; a < count; a++)
                    weights[members[a]] = affine[a];
                Report(onStep, corral, weights);
                return;
            }
            var theta = 1.0;
            for (var a = 0; a < count; a++)
            {
                var w = weights[members[a]];
                if (affine[a] <= 0 && w - affine[a] > 0)
                    theta = Math.Min(theta, w / (w - affine[a]));
            }
            var smallest = 0;
            for (var a = 0; a < count; a++)
            {
                var c = members[a];
                weights[c] = (1 - theta) * weights[c] + theta * affine[a];
                if (weights[c] < weights[members[smallest]])
                    smallest = a;
            }
            var dropped = false;
            for (var a = count - 1; a >= 0; a--)
            {
                var c = members[a];
                if (weights[c] <= 0)
                {
                    weights[c] = 0;
                    dropped = true;
                    corral.RemoveAt(a);
                }
            }
            if (!dropped)
            {
                // Rounding left every weight a hair above zero: drop the smallest, as θ intended.
                weights[members[smallest]] = 0;
                corral.RemoveAt(smallest);
            }
            // The weights are a convex combination of two points of the simplex, less what rounding left
            // at or below 0: they sum to 1 to rounding and are not renormalised (the accepted weights are
            // always an affine solution, normalised by WolfeCorral.SolveAffine).
            Report(onStep, corral, weights);
        }
    }

    private static void Report(Action<int[], double[]>? onStep, WolfeCorral corral, double[] weights) =>
        onStep?.Invoke(corral.Members[..corral.Count], (double[])weights.Clone());
}
