using System;
using MathNet.Numerics.LinearAlgebra;

namespace GradSurgery;

/// <summary>Eigendecomposition of a small symmetric matrix: ascending eigenvalues and orthonormal eigenvectors (columns).</summary>
internal sealed class SymmetricEigen
{
    private SymmetricEigen(double[] values, double[,] vectors)
    {
        Values = values;
        Vectors = vectors;
    }

    /// <summary>Eigenvalues in ascending order.</summary>
    public double[] Values { get; }

    /// <summary>Vectors[i, k] is component i of the eigenvector of Values[k].</summary>
    public double[,] Vectors { get; }

    public static SymmetricEigen Of(double[,] symmetric)
    {
        var n = symmetric.GetLength(0);
        if (n == 1)
            return new SymmetricEigen(new[] { symmetric[0, 0] }, new double[,] { { 1 } });
        var evd = Matrix<double>.Build.DenseOfArray(symmetric).Evd(Symmetricity.Symmetric);
        var values = new double[n];
        for (var k = 0; k < n; k++)
            values[k] = evd.EigenValues[k].Real;
        var order = new int[n];
        for (var k = 0; k < n; k++)
            order[k] = k;
        Array.Sort((double[])values.Clone(), order);
        var sorted = new double[n];
        var vectors = new double[n, n];
        for (var k = 0; k < n; k++)
        {
            sorted[k] = values[order[k]];
            for (var i = 0; i < n; i++)
                vectors[i, k] = evd.EigenVectors[i, order[k]];
        }
        return new SymmetricEigen(sorted, vectors);
    }

    /// <summary>
    /// x = A⁺·b through the eigendecomposition, dropping eigenvalues at or below <paramref name="tolerance"/>:
    /// the minimum-norm least-squares solution of A·x = b.
    /// </summary>
    public double[] PseudoInverseTimes(double[] b, double tolerance)
    {
        var n = Values.Length;
        var x = new double[n];
        for (var k = 0; k < n; k++)
        {
            if (Values[k] <= tolerance)
                continue;
            var dot = 0.0;
            for (var i = 0; i < n; i++)
                dot += Vectors[i, k] * b[i];
            var coefficient = dot / Values[k];
            for (var i = 0; i < n; i++)
                x[i] += coefficient * Vectors[i, k];
        }
        return x;
    }
}
