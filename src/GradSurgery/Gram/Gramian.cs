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
    /// <exception cref="ArgumentException">
    /// The matrix is empty, not square, has a NaN or infinite entry, or is not a Gram matrix: asymmetric or
    /// not positive semi-definite beyond round-off (64·T·ε·max Mᵢᵢ, ε = <paramref name="relativePrecision"/>).
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="relativePrecision"/> is not in (0, 1).</exception>
    public Gramian(double[,] values, double relativePrecision = DoublePrecisionEpsilon)
    {
        ArgumentNullException.ThrowIfNull(values);
        var n = values.GetLength(0);
        if (n == 0 || values.GetLength(1) != n)
            throw new ArgumentException($"A Gramian must be a non-empty square matrix; got {values.GetLength(0)}×{values.GetLength(1)}.", nameof(values));
        if (!(relativePrecision > 0 && relativePrecision < 1))
            throw new ArgumentOutOfRangeException(nameof(relativePrecision), relativePrecision, "The relative precision must be in (0, 1).");
        var scale = 0.0;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var v = values[i, j];
                if (!double.IsFinite(v))
                    throw new ArgumentException($"The Gramian has a non-finite entry {v} at [{i}, {j}]: a task gradient contains NaN or infinite values, or its squared norm overflows.", nameof(values));
            }
            scale = Math.Max(scale, Math.Abs(values[i, i]));
        }
        var tolerance = RoundOffAllowance * n * relativePrecision * scale;
        _values = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                if (i == j && values[i, i] < -tolerance)
                    throw new ArgumentException($"The Gramian has a negative diagonal entry {values[i, i]:R} at [{i}, {i}]: a squared norm cannot be negative.", nameof(values));
                if (Math.Abs(values[i, j] - values[j, i]) > tolerance)
                    throw new ArgumentException($"The Gramian is not symmetric: [{i}, {j}] = {values[i, j]:R} but [{j}, {i}] = {values[j, i]:R} (inner products gᵢ·gⱼ = gⱼ·gᵢ; allowed round-off {tolerance:E2}).", nameof(values));
                _values[i, j] = i == j ? values[i, i] : 0.5 * (values[i, j] + values[j, i]);
            }
        }
        RequirePositiveSemidefinite(_values, tolerance);
        RelativePrecision = relativePrecision;
    }

    /// <summary>
    /// Round-off allowed in an entry, in units of T·ε·max Mᵢᵢ (ε the <see cref="RelativePrecision"/>): a Gram
    /// matrix accumulated in that precision is symmetric and positive semi-definite to well within it.
    /// </summary>
    private const double RoundOffAllowance = 64;

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

    /// <summary>
    /// Throws unless <paramref name="m"/> is positive semi-definite up to <paramref name="tolerance"/>: a
    /// Cholesky factorisation with diagonal pivoting, stopping once every remaining pivot is at most the
    /// tolerance; then the remaining Schur complement must be zero within it (a negative eigenvalue would
    /// show as a negative pivot or a large off-diagonal entry there).
    /// </summary>
    private static void RequirePositiveSemidefinite(double[,] m, double tolerance)
    {
        var n = m.GetLength(0);
        var a = (double[,])m.Clone();
        var order = new int[n];
        for (var i = 0; i < n; i++)
            order[i] = i;
        for (var k = 0; k < n; k++)
        {
            var pivot = k;
            for (var i = k + 1; i < n; i++)
            {
                if (a[order[i], order[i]] > a[order[pivot], order[pivot]])
                    pivot = i;
            }
            (order[k], order[pivot]) = (order[pivot], order[k]);
            var p = order[k];
            var d = a[p, p];
            if (d <= tolerance)
            {
                for (var i = k; i < n; i++)
                {
                    for (var j = k; j < n; j++)
                    {
                        var v = a[order[i], order[j]];
                        if (v < -tolerance || (i != j && Math.Abs(v) > tolerance))
                            throw new ArgumentException($"The Gramian is not positive semi-definite (no set of gradients has these inner products): it has a negative eigenvalue beyond the round-off {tolerance:E2}.", "values");
                    }
                }
                return;
            }
            for (var i = k + 1; i < n; i++)
            {
                var r = order[i];
                var factor = a[r, p] / d;
                for (var j = k + 1; j < n; j++)
                    a[r, order[j]] -= factor * a[p, order[j]];
            }
        }
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
