using System.Linq;
using MathNet.Numerics.LinearAlgebra;
using static GradSurgery.Tests.Literal.Vectors;

namespace GradSurgery.Tests.Literal;

/// <summary>
/// IMTL-G as the paper writes it (§3.2, the closed form after Eq. 5), in parameter space:
/// D = [g₁ − g₂, …, g₁ − g_T], U = [u₁ − u₂, …, u₁ − u_T] (rows), α₂..T = g₁·Uᵀ·(D·Uᵀ)⁻¹, α₁ = 1 − Σα₂..T,
/// d = Σ αₜ·gₜ. Valid for independent, non-zero gradients.
/// </summary>
internal static class LiteralImtlG
{
    public static double[] Update(double[][] g)
    {
        var t = g.Length;
        if (t == 1)
            return g[0];
        var u = g.Select(gi => Scale(gi, 1 / Norm(gi))).ToArray();
        var d = Matrix<double>.Build.DenseOfRowArrays(Enumerable.Range(1, t - 1).Select(i => Add(g[0], g[i], -1)));
        var uDiff = Matrix<double>.Build.DenseOfRowArrays(Enumerable.Range(1, t - 1).Select(i => Add(u[0], u[i], -1)));
        var g1 = Vector<double>.Build.DenseOfArray(g[0]);
        var alphaRest = uDiff.Multiply(g1) * (d * uDiff.Transpose()).Inverse();
        var alpha = new double[t];
        alpha[0] = 1 - alphaRest.Sum();
        for (var i = 1; i < t; i++)
            alpha[i] = alphaRest[i - 1];
        return Combine(g, alpha);
    }
}
