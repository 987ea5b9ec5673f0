using System;
using System.Linq;
using MathNet.Numerics.LinearAlgebra;
using static GradSurgery.Tests.Literal.Vectors;

namespace GradSurgery.Tests.Literal;

/// <summary>
/// The Euclidean projection of x onto the cone {d : gᵢ·d ≥ 0 ∀i} by brute force in parameter space:
/// for every subset S of tasks, the projection of x onto {d : g_S·d = 0} (multipliers through MathNet's
/// pseudo-inverse); the answer is the nearest of those that are feasible and have non-negative
/// multipliers. Exponential in T: test sizes only.
/// </summary>
internal static class LiteralConeProjection
{
    public static double[] Project(double[][] g, double[] x)
    {
        var t = g.Length;
        var scale = g.Max(Norm);
        double[]? best = null;
        var bestDistance = double.PositiveInfinity;
        for (var mask = 0; mask < 1 << t; mask++)
        {
            var members = Enumerable.Range(0, t).Where(i => (mask >> i & 1) == 1).ToArray();
            var d = x;
            var multipliersOk = true;
            if (members.Length > 0)
            {
                // d = x + G_Sᵀ·v with G_S·d = 0: v = −pinv(G_S·G_Sᵀ)·G_S·x, the minimum-norm multipliers.
                var gs = Matrix<double>.Build.DenseOfRowArrays(members.Select(i => g[i]));
                var gram = gs * gs.Transpose();
                var v = -(gram.PseudoInverse() * (gs * Vector<double>.Build.DenseOfArray(x)));
                d = Add(x, (gs.Transpose() * v).ToArray());
                multipliersOk = v.All(value => value >= -1e-9);
            }
            if (!multipliersOk || g.Any(gi => Dot(gi, d) < -1e-10 * scale * Math.Max(Norm(d), scale)))
                continue;
            var distance = Norm(Add(d, x, -1));
            if (distance < bestDistance - 1e-12 * scale)
            {
                best = d;
                bestDistance = distance;
            }
        }
        return best ?? throw new InvalidOperationException("No feasible active set: the brute force is broken.");
    }
}
