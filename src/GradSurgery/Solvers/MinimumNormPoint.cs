using System;
using System.Collections.Generic;

namespace GradSurgery;

/// <summary>
/// Wolfe's algorithm for the point of minimum norm in the convex hull of n points, written on
/// their Gram matrix K (P. Wolfe, "Finding the nearest point in a polytope", Math. Programming 11,
/// 1976). It solves min over the simplex of wᵀKw exactly, in finitely many steps: each step adds
/// the most violating point to a "corral" and solves the affine sub-problem on it by a bordered
/// linear system, so the result is exact up to rounding, not up to an iteration count.
/// </summary>
internal static class MinimumNormPoint
{
    /// <summary>
    /// Relative optimality gap at which the algorithm stops: ‖x‖² − minᵢ x·pᵢ ≤ gap·maxᵢ Kᵢᵢ.
    /// 1e-14 is a few hundred ulps of the largest squared norm, the floor set by rounding in double.
    /// </summary>
    private const double RelativeGap = 1e-14;

    /// <summary>Major iterations allowed per point; Wolfe's algorithm needs far fewer, this only guards against cycling on degenerate rounding.</summary>
    private const int IterationsPerPoint = 50;

    /// <summary>Weights w on the simplex minimising wᵀ·K·w.</summary>
    public static double[] Solve(double[,] gram)
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

        // Work on K / max Kᵢᵢ so that every tolerance below is relative: scaling all gradients
        // by s changes nothing but the scale.
        var k = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
                k[i, j] = gram[i, j] / scale;
        }
        scale = 1;

        var corral = new List<int> { first };
        var products = new double[n];
        for (var iteration = 0; iteration < IterationsPerPoint * n; iteration++)
        {
            for (var i = 0; i < n; i++)
            {
                var s = 0.0;
                foreach (var c in corral)
                    s += k[i, c] * weights[c];
                products[i] = s;
            }
            var normSquared = 0.0;
            foreach (var c in corral)
                normSquared += weights[c] * products[c];
            var entering = 0;
            for (var i = 1; i < n; i++)
            {
                if (products[i] < products[entering])
                    entering = i;
            }
            if (normSquared - products[entering] <= RelativeGap * scale || corral.Contains(entering))
                break;
            corral.Add(entering);
            if (!MinorCycle(k, corral, weights, entering))
                break;
        }
        return weights;
    }

    /// <summary>
    /// Moves the weights towards the affine minimum-norm point of the corral, dropping points whose
    /// weight reaches zero, until that point lies inside the corral's simplex. Returns false when
    /// rounding makes no progress possible (the entering point is dropped at once).
    /// </summary>
    private static bool MinorCycle(double[,] k, List<int> corral, double[] weights, int entering)
    {
        while (true)
        {
            var affine = AffineMinimumNorm(k, corral);
            if (affine is null)
            {
                corral.Remove(entering);
                return false;
            }
            var inside = true;
            for (var a = 0; a < corral.Count; a++)
                inside &= affine[a] > 0;
            if (inside)
            {
                for (var a = 0; a < corral.Count; a++)
                    weights[corral[a]] = affine[a];
                return true;
            }
            var theta = 1.0;
            for (var a = 0; a < corral.Count; a++)
            {
                var w = weights[corral[a]];
                if (affine[a] <= 0 && w - affine[a] > 0)
                    theta = Math.Min(theta, w / (w - affine[a]));
            }
            for (var a = 0; a < corral.Count; a++)
                weights[corral[a]] = (1 - theta) * weights[corral[a]] + theta * affine[a];
            var dropped = corral.FindAll(c => weights[c] <= 0);
            if (dropped.Count == 0)
            {
                // Rounding left every weight a hair above zero: drop the smallest, as θ intended.
                var smallest = corral[0];
                foreach (var c in corral)
                {
                    if (weights[c] < weights[smallest])
                        smallest = c;
                }
                dropped.Add(smallest);
            }
            foreach (var c in dropped)
            {
                weights[c] = 0;
                corral.Remove(c);
            }
            if (theta == 0 && dropped.Count == 1 && dropped[0] == entering)
                return false;
            Normalize(weights, corral);
        }
    }

    private static void Normalize(double[] weights, List<int> corral)
    {
        var sum = 0.0;
        foreach (var c in corral)
            sum += weights[c];
        foreach (var c in corral)
            weights[c] /= sum;
    }

    /// <summary>
    /// Coefficients α (summing to 1) of the minimum-norm point of the affine hull of the corral:
    /// the solution of [K_SS 1; 1ᵀ 0]·[α; −ν] = [0; 1]. Null when the system is numerically singular.
    /// </summary>
    private static double[]? AffineMinimumNorm(double[,] k, List<int> corral)
    {
        var m = corral.Count;
        var size = m + 1;
        var a = new double[size, size + 1];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < m; j++)
                a[i, j] = k[corral[i], corral[j]];
            a[i, m] = 1;
            a[m, i] = 1;
        }
        a[m, size] = 1;
        var solution = LinearSystem.Solve(a);
        if (solution is null)
            return null;
        var alpha = new double[m];
        Array.Copy(solution, alpha, m);
        return alpha;
    }
}
