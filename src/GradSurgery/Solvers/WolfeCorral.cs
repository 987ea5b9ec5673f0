using System;

namespace GradSurgery;

/// <summary>
/// The corral S of <see cref="MinimumNormPoint"/> with the upper-triangular factor R of
/// RᵀR = 11ᵀ + K_SS, updated as points enter and leave (Wolfe 1976, §4). The affine minimum-norm
/// point of S is then α ∝ (11ᵀ + K_SS)⁻¹·1: on the plane 1ᵀα = 1 the added (1ᵀα)² is constant, and
/// 11ᵀ + K_SS is positive definite exactly when the points of S are affinely independent. An entering
/// point costs O(|S|²) (one triangular solve), a leaving one O(|S|²) (Givens rotations), instead of
/// a fresh O(|S|³) factorisation per sub-problem.
/// </summary>
internal sealed class WolfeCorral
{
    /// <summary>
    /// A new diagonal entry ρ² of R below this fraction of 1 + Kⱼⱼ means the entering point is
    /// affinely dependent on the corral (to about 1e4 ulps): it is refused.
    /// </summary>
    private const double DependentPivot = 1e-12;

    private readonly double[,] _k;
    private readonly double[,] _r;
    private readonly double[] _column;
    private readonly double[] _solution;

    /// <summary>Creates an empty corral over the points of the (normalised) Gram matrix <paramref name="k"/>.</summary>
    public WolfeCorral(double[,] k)
    {
        var n = k.GetLength(0);
        _k = k;
        _r = new double[n, n];
        _column = new double[n];
        _solution = new double[n];
        Members = new int[n];
        Affine = new double[n];
    }

    /// <summary>The points in the corral, in positions [0, <see cref="Count"/>).</summary>
    public int[] Members { get; }

    /// <summary>Number of points in the corral.</summary>
    public int Count { get; private set; }

    /// <summary>After <see cref="SolveAffine"/>: the affine coefficients, by corral position.</summary>
    public double[] Affine { get; }

    /// <summary>
    /// Adds <paramref name="point"/>; false (corral unchanged) when it is affinely dependent on the corral,
    /// a member included (its new pivot is 0 to rounding).
    /// </summary>
    public bool TryAdd(int point)
    {
        var m = Count;
        // Rᵀ·r = 1 + K_S,j (forward substitution), ρ² = 1 + Kⱼⱼ − ‖r‖².
        var normSquared = 0.0;
        for (var i = 0; i < m; i++)
        {
            var s = 1 + _k[Members[i], point];
            for (var l = 0; l < i; l++)
                s -= _r[l, i] * _column[l];
            _column[i] = s / _r[i, i];
            normSquared += _column[i] * _column[i];
        }
        var diagonal = 1 + _k[point, point];
        var pivot = diagonal - normSquared;
        if (!(pivot > DependentPivot * diagonal))
            return false;
        for (var i = 0; i < m; i++)
            _r[i, m] = _column[i];
        _r[m, m] = Math.Sqrt(pivot);
        Members[m] = point;
        Count = m + 1;
        return true;
    }

    /// <summary>Removes the point at corral position <paramref name="position"/>, re-triangularising R with Givens rotations.</summary>
    public void RemoveAt(int position)
    {
        var m = Count;
        for (var j = position; j < m - 1; j++)
        {
            Members[j] = Members[j + 1];
            for (var i = 0; i <= j + 1; i++)
                _r[i, j] = _r[i, j + 1];
        }
        // Columns position..m−2 now have one entry below the diagonal: rotate rows j, j+1 to clear it.
        // Nothing below the diagonal is read otherwise, and the stale last column is rewritten by the
        // next TryAdd before it is read, so neither is cleared.
        for (var j = position; j < m - 1; j++)
        {
            var a = _r[j, j];
            var b = _r[j + 1, j];
            var h = Math.Sqrt((a * a) + (b * b));
            var c = a / h;
            var s = b / h;
            for (var col = j; col < m - 1; col++)
            {
                var top = _r[j, col];
                var bottom = _r[j + 1, col];
                _r[j, col] = (c * top) + (s * bottom);
                _r[j + 1, col] = (c * bottom) - (s * top);
            }
        }
        Count = m - 1;
    }

    /// <summary>The minimum-norm point of the corral's affine hull: α ∝ (RᵀR)⁻¹·1 with Σα = 1, into <see cref="Affine"/>.</summary>
    public void SolveAffine()
    {
        var m = Count;
        for (var i = 0; i < m; i++)
        {
            var s = 1.0;
            for (var l = 0; l < i; l++)
                s -= _r[l, i] * _solution[l];
            _solution[i] = s / _r[i, i];
        }
        var sum = 0.0;
        for (var i = m - 1; i >= 0; i--)
        {
            var s = _solution[i];
            for (var l = i + 1; l < m; l++)
                s -= _r[i, l] * Affine[l];
            Affine[i] = s / _r[i, i];
            sum += Affine[i];
        }
        for (var i = 0; i < m; i++)
            Affine[i] /= sum;
    }
}
