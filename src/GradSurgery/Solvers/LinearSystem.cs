using System;

namespace GradSurgery;

/// <summary>Gaussian elimination with partial pivoting for the small dense systems of the simplex solvers.</summary>
internal static class LinearSystem
{
    /// <summary>
    /// A pivot smaller than this fraction of the largest entry of its column marks the system as
    /// singular: about 1e4 ulps, where the bordered systems of affinely dependent points land.
    /// </summary>
    private const double SingularPivot = 1e-12;

    /// <summary>Solves the n×n system whose augmented matrix [A | b] is <paramref name="augmented"/> (n×(n+1), overwritten). Null when singular.</summary>
    public static double[]? Solve(double[,] augmented)
    {
        var n = augmented.GetLength(0);
        var scale = 0.0;
        foreach (var v in augmented)
            scale = Math.Max(scale, Math.Abs(v));
        for (var col = 0; col < n; col++)
        {
            var pivot = col;
            for (var row = col + 1; row < n; row++)
            {
                if (Math.Abs(augmented[row, col]) > Math.Abs(augmented[pivot, col]))
                    pivot = row;
            }
            if (!(Math.Abs(augmented[pivot, col]) > SingularPivot * scale))
                return null;
            if (pivot != col)
            {
                for (var j = col; j <= n; j++)
                    (augmented[col, j], augmented[pivot, j]) = (augmented[pivot, j], augmented[col, j]);
            }
            for (var row = col + 1; row < n; row++)
            {
                var factor = augmented[row, col] / augmented[col, col];
                if (factor == 0)
                    continue;
                for (var j = col; j <= n; j++)
                    augmented[row, j] -= factor * augmented[col, j];
            }
        }
        var x = new double[n];
        for (var row = n - 1; row >= 0; row--)
        {
            var s = augmented[row, n];
            for (var j = row + 1; j < n; j++)
                s -= augmented[row, j] * x[j];
            x[row] = s / augmented[row, row];
        }
        return x;
    }
}
