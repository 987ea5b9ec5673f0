using System;
using System.Collections.Generic;
using System.Linq;
using MathNet.Numerics.LinearAlgebra;
using static GradSurgery.Tests.Literal.Vectors;

namespace GradSurgery.Tests.Literal;

/// <summary>
/// Wolfe's nearest-point algorithm (P. Wolfe, "Finding the nearest point in a polytope", Math.
/// Programming 11, 1976, steps 0–3) written literally on the points themselves: the current point
/// x = Σ wᵢpᵢ is formed in parameter space, the entering point is the one minimising x·pⱼ, and each
/// affine sub-problem is a fresh bordered solve on the corral's points. It records every step (the
/// corral as a sorted set and the weights), so that the library's Gram-space solver, with its
/// factor updated point by point, can be compared with it step for step.
/// </summary>
internal static class LiteralWolfe
{
    /// <summary>The stopping gap of Wolfe's step 1, relative to the largest squared norm (as the library's).</summary>
    private const double RelativeGap = 1e-14;

    /// <summary>Every step of the algorithm on <paramref name="points"/>: the corral (sorted) and all n weights.</summary>
    public static List<(int[] Corral, double[] Weights)> Trace(double[][] points)
    {
        var n = points.Length;
        var squaredNorms = points.Select(p => Dot(p, p)).ToArray();
        var largest = squaredNorms.Max();
        var steps = new List<(int[] Corral, double[] Weights)>();

        // Step 0: start at the point of least norm (the first of equals).
        var start = Array.IndexOf(squaredNorms, squaredNorms.Min());
        var corral = new List<int> { start };
        var w = new double[n];
        w[start] = 1;
        Record(steps, corral, w);

        while (true)
        {
            // Step 1: the point most opposed to x; stop when x is (to the gap) its own nearest point.
            var x = Combine(points, w);
            var products = points.Select(p => Dot(x, p)).ToArray();
            var entering = Array.IndexOf(products, products.Min());
            if (Dot(x, x) - products[entering] <= RelativeGap * largest || corral.Contains(entering))
                return steps;
            corral.Add(entering);

            // Steps 2–3: move towards the affine minimum-norm point of the corral, dropping the
            // points whose weight reaches zero first, until that point lies inside the corral's simplex.
            while (true)
            {
                var alpha = AffineMinimum(points, corral);
                if (alpha.All(a => a > 0))
                {
                    for (var a = 0; a < corral.Count; a++)
                        w[corral[a]] = alpha[a];
                    Record(steps, corral, w);
                    break;
                }
                var theta = double.PositiveInfinity;
                var leaving = -1;
                for (var a = 0; a < corral.Count; a++)
                {
                    var wa = w[corral[a]];
                    if (alpha[a] <= 0 && wa / (wa - alpha[a]) < theta)
                    {
                        theta = wa / (wa - alpha[a]);
                        leaving = corral[a];
                    }
                }
                for (var a = 0; a < corral.Count; a++)
                    w[corral[a]] = ((1 - theta) * w[corral[a]]) + (theta * alpha[a]);
                w[leaving] = 0;
                corral.Remove(leaving);
                Record(steps, corral, w);
            }
        }
    }

    /// <summary>argmin ‖Σ αₐpₐ‖² over Σα = 1 on the corral: [PPᵀ 1; 1ᵀ 0]·[α; λ] = [0; 1].</summary>
    private static double[] AffineMinimum(double[][] points, List<int> corral)
    {
        var m = corral.Count;
        var system = Matrix<double>.Build.Dense(m + 1, m + 1);
        var right = Vector<double>.Build.Dense(m + 1);
        for (var a = 0; a < m; a++)
        {
            for (var b = 0; b < m; b++)
                system[a, b] = Dot(points[corral[a]], points[corral[b]]);
            system[a, m] = 1;
            system[m, a] = 1;
        }
        right[m] = 1;
        return system.Solve(right).Take(m).ToArray();
    }

    private static void Record(List<(int[] Corral, double[] Weights)> steps, List<int> corral, double[] w) =>
        steps.Add((corral.Order().ToArray(), (double[])w.Clone()));
}
