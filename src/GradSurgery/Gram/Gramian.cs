using System;
using System.Collections.Generic;
using MathNet.Numerics.LinearAlgebra;

namespace GradSurgery;

/// <summary>
/// The T×T Gram matrix M = G·Gᵀ of the task gradients (M[i, j] = gᵢ·gⱼ), held on the host in
/// double precision. Every Gram-space method of this library (a weighting of the Gram matrix)
/// computes its task weights from it alone.
/// </summary>
/// <remarks>
/// The matrix is symmetrised on construction ((M + Mᵀ)/2). Its eigendecomposition is computed once,
/// on first use, and shared by the methods and diagnostics that need it.
/// </remarks>
public sealed class Gramian
{
    /// <summary>Machine epsilon of float32 (2⁻²³): the relative resolution of a Gram matrix accumulated in float32.</summary>
    public const double SinglePrecisionEpsilon = 1.1920928955078125e-7;

    /// <summary>Machine epsilon of float64 (2⁻⁵²): the relative resolution of a Gram matrix accumulated in float64.</summary>
    public const double DoublePrecisionEpsilon = 2.220446049250313e-16;

    private readonly double[,] _values;
    private SymmetricEigen? _eigen;

    /// <summary>Creates a Gramian from a square matrix of inner products.</summary>
    /// <param name="values">The T×T matrix, T ≥ 1. It is copied.</param>
    /// <param name="relativePrecision">
    /// The relative rounding error of the entries: <see cref="SinglePrecisionEpsilon"/> when the Gram
    /// was accumulated in float32, <see cref="DoublePrecisionEpsilon"/> (the default) in float64. It sets
    /// <see cref="RankTolerance"/>.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="values"/> is null.</exception>
    /// <exception cref="ArgumentException">The matrix is empty, not square or has a NaN or infinite entry.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="relativePrecision"/> is not in (0, 1).</exception>
    public Gramian(double[,] values, double relativePrecision = DoublePrecisionEpsilon)
    {
        ArgumentNullException.ThrowIfNull(values);
        var n = values.GetLength(0);
        if (n == 0 || values.GetLength(1) != n)
            throw new ArgumentException($"A Gramian must be a non-empty square matrix; got {values.GetLength(0)}×{values.GetLength(1)}.", nameof(values));
        if (!(relativePrecision > 0 && relativePrecision < 1))
            throw new ArgumentOutOfRangeException(nameof(relativePrecision), relativePrecision, "The relative precision must be in (0, 1).");
        _values = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var v = values[i, j];
                if (!double.IsFinite(v))
                    throw new ArgumentException($"The Gramian has a non-finite entry {v} at [{i}, {j}]: a task gradient contains NaN or infinite values, or its squared norm overflows.", nameof(values));
                _values[i, j] = i == j ? v : 0.5 * (v + values[j, i]);
            }
        }
        RelativePrecision = relativePrecision;
    }

    /// <summary>Number of tasks T (the matrix is T×T).</summary>
    public int TaskCount => _values.GetLength(0);

    /// <summary>The inner product gᵢ·gⱼ of the gradients of tasks <paramref name="i"/> and <paramref name="j"/>.</summary>
    public double this[int i, int j] => _values[i, j];

    /// <summary>Relative rounding error of the entries (see the constructor).</summary>
    public double RelativePrecision { get; }

    /// <summary>Largest eigenvalue λmax of M, the squared largest singular value of G.</summary>
    public double LargestEigenvalue => Eigen.Values[TaskCount - 1];

    /// <summary>
    /// Eigenvalues at or below this are indistinguishable from zero: T·ε·λmax, with ε the
    /// <see cref="RelativePrecision"/> (the rule numpy's <c>matrix_rank</c> and the Aligned-MTL code use).
    /// Gradient directions whose squared singular value falls below it count as linearly dependent.
    /// </summary>
    public double RankTolerance => TaskCount * RelativePrecision * Math.Max(LargestEigenvalue, 0);

    /// <summary>Eigenvalues of M in ascending order (the squared singular values of G).</summary>
    public IReadOnlyList<double> Eigenvalues => Eigen.Values;

    internal SymmetricEigen Eigen => _eigen ??= SymmetricEigen.Of(_values);

    /// <summary>Whether the eigendecomposition has been computed (it is lazy; tests check that plain aggregations skip it).</summary>
    internal bool HasEigendecomposition => _eigen is not null;

    /// <summary>A copy of the matrix.</summary>
    public double[,] ToArray() => (double[,])_values.Clone();

    /// <summary>The Gram matrix of explicitly given gradients (rows of <paramref name="gradients"/>), in float64 on the host.</summary>
    /// <param name="gradients">A T×P matrix, one task gradient per row.</param>
    /// <exception cref="ArgumentNullException"><paramref name="gradients"/> is null.</exception>
    public static Gramian FromGradients(double[,] gradients)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        var g = Matrix<double>.Build.DenseOfArray(gradients);
        return new Gramian((g * g.Transpose()).ToArray());
    }

    /// <summary>(M·v)ᵢ = Σⱼ M[i, j]·vⱼ.</summary>
    internal double[] Multiply(IReadOnlyList<double> v)
    {
        var n = TaskCount;
        var result = new double[n];
        for (var i = 0; i < n; i++)
        {
            var s = 0.0;
            for (var j = 0; j < n; j++)
                s += _values[i, j] * v[j];
            result[i] = s;
        }
        return result;
    }

    /// <summary>vᵀ·M·v, the squared norm of Σ vᵢ·gᵢ.</summary>
    internal double QuadraticForm(IReadOnlyList<double> v)
    {
        var mv = Multiply(v);
        var s = 0.0;
        for (var i = 0; i < mv.Length; i++)
            s += v[i] * mv[i];
        return s;
    }

    internal double[,] Values => _values;
}
