using System;

namespace GradSurgery;

/// <summary>Dense symmetric positive-definite solves for the small T×T systems of the solvers.</summary>
internal static class Cholesky
{
    /// <summary>
    /// x with A·x = b through A = L·Lᵀ; null when a pivot falls to or below <paramref name="singularPivot"/>
    /// times its diagonal entry (A is singular or too ill-conditioned for the caller's purpose).
    /// </summary>
    /// <param name="a">A symmetric m×m matrix (only the lower triangle is read).</param>
    /// <param name="b">The right-hand side (not modified).</param>
    /// <param name="singularPivot">The smallest accepted ratio of a squared pivot to its diagonal entry, in [0, 1).</param>
    public static double[]? TrySolve(double[,] a, double[] b, double singularPivot)
    {
        var m = b.Length;
        var l = new double[m, m];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                var sum = a[i, j];
                for (var q = 0; q < j; q++)
                    sum -= l[i, q] * l[j, q];
                if (i == j)
                {
                    if (!(sum > singularPivot * a[i, i]))
                        return null;
                    l[i, i] = Math.Sqrt(sum);
                }
                else
                {
                    l[i, j] = sum / l[j, j];
                }
            }
        }
        var x = (double[])b.Clone();
        for (var i = 0; i < m; i++)
        {
            for (var q = 0; q < i; q++)
                x[i] -= l[i, q] * x[q];
            x[i] /= l[i, i];
        }
        for (var i = m - 1; i >= 0; i--)
        {
            for (var q = i + 1; q < m; q++)
                x[i] -= l[q, i] * x[q];
            x[i] /= l[i, i];
        }
        return x;
    }
}
