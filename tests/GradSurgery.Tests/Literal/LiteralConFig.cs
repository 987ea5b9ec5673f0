using System.Linq;
using MathNet.Numerics.LinearAlgebra;
using static GradSurgery.Tests.Literal.Vectors;

namespace GradSurgery.Tests.Literal;

/// <summary>ConFIG's Eq. 2 in parameter space: x = pinv([u₁; …; u_T])·𝟙 (SVD), û = x/‖x‖, d = (Σ gₜ·û)·û.</summary>
internal static class LiteralConFig
{
    public static double[] Update(double[][] g)
    {
        if (g.All(gi => Norm(gi) == 0))
            return Zeros(g[0].Length); // MathNet's pseudo-inverse of a zero matrix is NaN; TorchJD's nan_to_num gives 0.
        var units = Matrix<double>.Build.DenseOfRowArrays(g.Select(gi => Norm(gi) > 0 ? Scale(gi, 1 / Norm(gi)) : Zeros(gi.Length)));
        var x = (units.PseudoInverse() * Vector<double>.Build.Dense(g.Length, 1.0)).ToArray();
        if (Norm(x) == 0)
            return Zeros(x.Length);
        var direction = Scale(x, 1 / Norm(x));
        return Scale(direction, g.Sum(gi => Dot(gi, direction)));
    }
}
