using System;
using System.Linq;
using MathNet.Numerics.LinearAlgebra;

namespace GradSurgery.Tests.Literal;

/// <summary>
/// Aligned-MTL in parameter space: the aligned system is Ĝ = σ·U·Vᵀ from the thin SVD G = U·S·Vᵀ
/// (the orthogonal Procrustes solution the paper derives, §3.3), and the update is Ĝᵀ·w.
/// Independent of the eigendecomposition of the Gram matrix that the library uses.
/// </summary>
internal static class LiteralAlignedMtl
{
    public static double[] Update(double[,] gradients, double[] w, Func<double[], double> scale)
    {
        var g = Matrix<double>.Build.DenseOfArray(gradients);
        var t = g.RowCount;
        var svd = g.Svd(true);
        var s = svd.S.ToArray();
        var cutoff = Math.Sqrt(s.Max() * s.Max() * t * AlignedMtl.RankEpsilon);
        var kept = Enumerable.Range(0, s.Length).Where(k => s[k] > cutoff).ToArray();
        if (kept.Length == 0)
            return new double[g.ColumnCount];
        var sigma = Math.Sqrt(scale(kept.Select(k => s[k] * s[k]).ToArray()));
        var update = new double[g.ColumnCount];
        foreach (var k in kept)
        {
            var coefficient = 0.0;
            for (var i = 0; i < t; i++)
                coefficient += svd.U[i, k] * w[i];
            for (var p = 0; p < update.Length; p++)
                update[p] += sigma * coefficient * svd.VT[k, p];
        }
        return update;
    }
}
