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
        var all = new int[m];
        for (var i = 0; i < m; i++)
            all[i] = i;
        var factor = new double[m, m];
        if (!TryFactor(a, all, m, singularPivot, factor))
            return null;
        var x = (double[])b.Clone();
        SolveInPlace(factor, m, x);
        return x;
    }

    /// <summary>
    /// The lower factor L of A_SS = L·Lᵀ, A_SS the m×m block of <paramref name="a"/> on the rows and columns
    /// <paramref name="index"/>[0 … m), into the top-left m×m of <paramref name="factor"/>; false when a pivot
    /// falls to or below <paramref name="singularPivot"/> times its diagonal entry.
    /// </summary>
    /// <param name="a">A symmetric matrix (only entries a[index[i], index[j]] with j ≤ i are read).</param>
    /// <param name="index">The rows (and columns) of the block, in order; at least m of them.</param>
    /// <param name="m">The size of the block.</param>
    /// <param name="singularPivot">The smallest accepted ratio of a squared pivot to its diagonal entry, in [0, 1).</param>
    /// <param name="factor">At least m×m; its strict upper triangle is not written.</param>
    public static bool TryFactor(double[,] a, int[] index, int m, double singularPivot, double[,] factor)
    {
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                var sum = a[index[i], index[j]];
                for (var q = 0; q < j; q++)
                    sum -= factor[i, q] * factor[j, q];
                if (i == j)
                {
                    if (!(sum > singularPivot * a[index[i], index[i]]))
                        return false;
                    factor[i, i] = Math.Sqrt(sum);
                }
                else
                {
                    factor[i, j] = sum / factor[j, j];
                }
            }
        }
        return true;
    }

    /// <summary>x ← (L·Lᵀ)⁻¹·x for the m×m lower factor L of <see cref="TryFactor"/>: forward, then backward substitution.</summary>
    public static void SolveInPlace(double[,] factor, int m, double[] x)
    {
        for (var i = 0; i < m; i++)
        {
            var sum = x[i];
            for (var q = 0; q < i; q++)
                sum -= factor[i, q] * x[q];
            x[i] = sum / factor[i, i];
        }
        for (var i = m - 1; i >= 0; i--)
        {
            var sum = x[i];
            for (var q = i + 1; q < m; q++)
                sum -= factor[q, i] * x[q];
            x[i] = sum / factor[i, i];
        }
    }
}
