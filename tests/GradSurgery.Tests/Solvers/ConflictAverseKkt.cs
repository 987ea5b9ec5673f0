using System.Linq;
using Xunit;
using static GradSurgery.Tests.Literal.Vectors;

namespace GradSurgery.Tests.Solvers;

/// <summary>The KKT conditions of CAGrad's dual F(w) = g_w·g₀ + ρ‖g_w‖ over the simplex, in parameter space.</summary>
public static class ConflictAverseKkt
{
    /// <summary>
    /// ∇F = (gᵢ·g₀ + ρ·gᵢ·g_w/‖g_w‖)ᵢ; w is optimal iff ∇Fᵢ ≥ ν for every i, with equality on the support
    /// (F convex, ‖g_w‖ &gt; 0 assumed: F is not differentiable at g_w = 0).
    /// </summary>
    public static void AssertHolds(string name, double[][] g, double[] g0, double rho, double[] w, double scale)
    {
        var gw = Combine(g, w);
        var gradient = g.Select(gi => Dot(gi, g0) + (rho * Dot(gi, gw) / Norm(gw))).ToArray();
        var nu = Enumerable.Range(0, w.Length).Where(i => w[i] > 1e-9).Min(i => gradient[i]);
        for (var i = 0; i < w.Length; i++)
        {
            Assert.True(gradient[i] >= nu - 1e-9 * scale * scale, $"{name}: KKT violated at {i}");
            if (w[i] > 1e-6)
                Assert.True(System.Math.Abs(gradient[i] - nu) <= 1e-8 * scale * scale, $"{name}: support {i} not stationary ({gradient[i] - nu:E2})");
        }
    }
}
