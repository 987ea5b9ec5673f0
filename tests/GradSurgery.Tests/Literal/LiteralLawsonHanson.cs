using System.Collections.Generic;
using System.Linq;
using MathNet.Numerics.LinearAlgebra;
using static GradSurgery.Tests.Literal.Vectors;

namespace GradSurgery.Tests.Literal;

/// <summary>
/// Lawson and Hanson's non-negative least squares (Solving Least Squares Problems, 1974, ch. 23,
/// algorithm NNLS) written literally in parameter space for the dual-cone projection: minimise
/// ‖x + Σᵢ vᵢ·gᵢ‖ over v ≥ 0, with the gradients as the columns of A and each sub-problem a fresh
/// least-squares solve on the free columns (MathNet's SVD, the minimum-norm solution). It records every
/// step (the free set and v) so that the library's Gram-space solver can be compared with it step by step.
/// </summary>
internal static class LiteralLawsonHanson
{
    /// <summary>The entering test of step 2, −∂/∂vⱼ of ½‖x + A·v‖² above this fraction of max ‖gᵢ‖² (as the library's).</summary>
    private const double SlopeTolerance = 1e-13;

    /// <summary>Every step on <paramref name="gradients"/> projecting Σ uᵢ·gᵢ: the free set (sorted) and v.</summary>
    public static List<(int[] Free, double[] V)> Trace(double[][] gradients, double[] u)
    {
        var n = gradients.Length;
        var largest = gradients.Max(g => Dot(g, g));
        var x = Combine(gradients, u);
        var free = new List<int>();
        var v = new double[n];
        var steps = new List<(int[] Free, double[] V)>();
        while (true)
        {
            // Step 2: the bound index j with the largest wⱼ = −gⱼ·(x + A·v); stop when none exceeds the tolerance.
            var y = Add(x, Combine(gradients, v));
            var entering = -1;
            var best = SlopeTolerance * largest;
            for (var j = 0; j < n; j++)
            {
                var wj = -Dot(gradients[j], y);
                if (!free.Contains(j) && wj > best)
                {
                    best = wj;
                    entering = j;
                }
            }
            if (entering < 0)
                return steps;
            free.Add(entering);
            while (true)
            {
                // Steps 6–11: z minimises ‖x + A_P·z‖ on the free set; inside (all zᵢ > 0) it is accepted,
                // otherwise v moves towards z until the first free vᵢ reaches 0, which is bound.
                var z = FreeMinimiser(gradients, x, free, n);
                var blocking = -1;
                var fraction = double.PositiveInfinity;
                foreach (var i in free.Order().Where(i => z[i] <= 0))
                {
                    var ratio = v[i] / (v[i] - z[i]);
                    if (ratio < fraction)
                    {
                        fraction = ratio;
                        blocking = i;
                    }
                }
                if (blocking < 0)
                {
                    v = z;
                    steps.Add(([.. free.Order()], (double[])v.Clone()));
                    break;
                }
                foreach (var i in free.ToList())
                {
                    v[i] += fraction * (z[i] - v[i]);
                    if (i == blocking || v[i] <= 0)
                    {
                        v[i] = 0;
                        free.Remove(i);
                    }
                }
                steps.Add(([.. free.Order()], (double[])v.Clone()));
            }
        }
    }

    private static double[] FreeMinimiser(double[][] gradients, double[] x, List<int> free, int n)
    {
        var columns = free.Order().ToArray();
        var a = Matrix<double>.Build.Dense(x.Length, columns.Length, (r, c) => gradients[columns[c]][r]);
        var solution = a.Svd().Solve(Vector<double>.Build.DenseOfArray(x.Select(e => -e).ToArray()));
        var z = new double[n];
        for (var c = 0; c < columns.Length; c++)
            z[columns[c]] = solution[c];
        return z;
    }
}
