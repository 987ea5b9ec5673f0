using System;
using System.Linq;
using MathNet.Numerics.LinearAlgebra;
using static GradSurgery.Tests.Literal.Vectors;

namespace GradSurgery.Tests.Literal;

/// <summary>
/// The α-fair update as FairGrad and Nash-MTL define it, in parameter space: d maximises
/// Σₜ U(gₜ·d) − ½‖d‖² with U(x) = log x (α = 1) or x^(1−α)/(1−α), whose stationarity
/// Σₜ (gₜ·d)^(−α)·gₜ = d says d = Σ wₜ·gₜ with wₜ = (gₜ·d)^(−α), i.e. (M·w)ₜ = wₜ^(−1/α). Maximised by
/// damped Newton in the P parameters (a different algorithm in a different space from the library's).
/// </summary>
internal static class LiteralAlphaFair
{
    /// <summary>The maximiser, from a start <paramref name="feasible"/> with every gₜ·d &gt; 0.</summary>
    public static double[] Update(double[][] g, double alpha, double[] feasible)
    {
        var p = feasible.Length;
        var d = (double[])feasible.Clone();
        for (var iteration = 0; iteration < 500; iteration++)
        {
            var gradient = Scale(d, -1);
            var hessian = -Matrix<double>.Build.DenseIdentity(p);
            foreach (var gi in g)
            {
                var x = Dot(gi, d);
                gradient = Add(gradient, gi, Math.Pow(x, -alpha));
                var v = Vector<double>.Build.DenseOfArray(gi);
                hessian -= alpha * Math.Pow(x, -alpha - 1) * v.OuterProduct(v);
            }
            var step = hessian.Solve(Vector<double>.Build.DenseOfArray(gradient)).Negate().ToArray();
            var decrement = Dot(gradient, step);
            if (decrement < 1e-26 * Math.Max(1, Dot(d, d)))
                break;
            var t = 1.0;
            while (g.Any(gi => Dot(gi, Add(d, step, t)) <= 0) || Objective(g, alpha, Add(d, step, t)) < Objective(g, alpha, d) + (0.25 * t * decrement) && t > 1e-12)
                t /= 2;
            d = Add(d, step, t);
        }
        return d;
    }

    private static double Objective(double[][] g, double alpha, double[] d) =>
        g.Sum(gi => alpha == 1 ? Math.Log(Dot(gi, d)) : Math.Pow(Dot(gi, d), 1 - alpha) / (1 - alpha)) - (0.5 * Dot(d, d));
}
