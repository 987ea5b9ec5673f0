using System;
using System.Collections.Generic;
using System.Linq;
using GradSurgery.Tests.Literal;
using GradSurgery.Tests.Solvers;
using Xunit;
using static GradSurgery.Tests.Literal.Vectors;

namespace GradSurgery.Tests.Weightings;

/// <summary>
/// CAGrad where the origin lies in the convex hull of the gradients: the dual optimum is g_w = 0, the
/// primal optimum maxₐ minᵢ gᵢ·d over the ball is 0, and the update is the optimal d closest to g₀.
/// </summary>
public class CAGradOriginInHullTests
{
    /// <summary>
    /// Gradient sets with the origin in their hull, kept for each c where the cone {d : gᵢ·d ≥ 0 ∀i} reaches
    /// strictly inside the ball ‖d − g₀‖ ≤ c‖g₀‖ (there the dual optimum is g_w = 0; elsewhere the primal
    /// optimum is negative and CAGrad's ordinary formula applies) and g₀ itself conflicts with a task.
    /// </summary>
    public static IEnumerable<object[]> Cases()
    {
        foreach (var (name, gradients) in Candidates())
        {
            var g = Rows(gradients);
            var g0 = Combine(g, Enumerable.Repeat(1.0 / g.Length, g.Length).ToArray());
            var reach = Norm(Add(LiteralConeProjection.Project(g, g0), g0, -1)) / Norm(g0);
            foreach (var c in new[] { 0.3, 0.5, 1.0, 2.0 })
            {
                if (reach < c * (1 - 1e-6) && Worst(g, g0) < -1e-3 * g.Max(gi => Dot(gi, gi)))
                    yield return new object[] { $"{name}, c={c}", gradients, c };
            }
        }
    }

    private static IEnumerable<(string Name, double[,] Gradients)> Candidates()
    {
        foreach (var t in new[] { 3, 4, 5 })
        {
            yield return ($"T={t} around the origin in {Math.Max(t - 1, 2)} dimensions", DualConeProjectionTests.OriginInHull(t, 70 + t));
            foreach (var seed in new[] { 1, 2, 3 })
                yield return ($"T={t} with an opposite pair, seed {seed}", OppositePair(t, (10 * t) + seed));
        }
        yield return ("opposite pair of unequal lengths", new double[,] { { 3, 1, 0 }, { -6, -2, 0 } });
        yield return ("opposite pair and a third task", new double[,] { { 2, 0, 1 }, { -2, 0, -1 }, { 1, 3, 0 } });
    }

    /// <summary>T random gradients in 5 dimensions, the second a negative multiple of the first: 0 is in the hull of that pair.</summary>
    private static double[,] OppositePair(int t, int seed)
    {
        var random = new Random(seed);
        var g = GradientCases.Random(t, seed, p: 5);
        var a = 0.3 + (2 * random.NextDouble());
        for (var k = 0; k < 5; k++)
            g[1, k] = -a * g[0, k];
        return g;
    }

    [Fact]
    public void The_cases_include_balls_smaller_than_the_mean_gradient()
    {
        Assert.True(Cases().Count(c => (double)c[2] < 1) >= 3, "c < 1 needs cases where the cone reaches far into the ball");
        Assert.True(Cases().Count() >= 20);
    }

    private static double Worst(double[][] g, double[] d) => g.Min(gi => Dot(gi, d));

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_update_attains_the_primal_optimum_inside_the_ball(string name, double[,] gradients, double c)
    {
        var g = Rows(gradients);
        var t = g.Length;
        var g0 = Combine(g, Enumerable.Repeat(1.0 / t, t).ToArray());
        var scale = g.Max(gi => Dot(gi, gi));
        var d = GramSpace.Update(new CAGrad(c, CAGradRescale.None), gradients);

        // The cone's projection of g0 (brute force in parameter space) is in the ball (the cases are
        // chosen so) with value 0, and 0 is also an upper bound (weak duality at the hull point), so the
        // primal optimum is exactly 0.
        var reference = LiteralConeProjection.Project(g, g0);
        var optimum = Worst(g, reference);
        Assert.True(Math.Abs(optimum) <= 1e-9 * scale, $"{name}: reference optimum {optimum:E3}");

        Assert.True(Math.Abs(Worst(g, d) - optimum) <= 1e-9 * scale, $"{name}: minᵢ gᵢ·d = {Worst(g, d):E3}, optimum {optimum:E3}");
        Assert.True(Norm(Add(d, g0, -1)) <= c * Norm(g0) * (1 + 1e-9), $"{name}: ‖d − g0‖ = {Norm(Add(d, g0, -1)):R} > c‖g0‖ = {c * Norm(g0):R}");
        GramSpace.AssertClose(reference, d, 1e-9, Math.Sqrt(scale), $"{name}: not the optimal d closest to g0");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void No_point_of_the_ball_does_better(string name, double[,] gradients, double c)
    {
        var g = Rows(gradients);
        var t = g.Length;
        var g0 = Combine(g, Enumerable.Repeat(1.0 / t, t).ToArray());
        var radius = c * Norm(g0);
        var d = GramSpace.Update(new CAGrad(c, CAGradRescale.None), gradients);
        var value = Worst(g, d);
        var random = new Random(91);
        for (var sample = 0; sample < 2000; sample++)
        {
            var direction = Enumerable.Range(0, g0.Length).Select(_ => (2 * random.NextDouble()) - 1).ToArray();
            var candidate = Add(g0, direction, radius * Math.Sqrt(random.NextDouble()) / Norm(direction));
            Assert.True(Worst(g, candidate) <= value + (1e-9 * g.Max(gi => Dot(gi, gi))), $"{name}: a point of the ball beats the update");
        }
    }

    [Fact]
    public void Rescaling_applies_to_the_projected_update_too()
    {
        var gradients = new double[,] { { 2, 0, 1 }, { -2, 0, -1 }, { 1, 3, 0 } };
        var plain = GramSpace.Update(new CAGrad(0.5, CAGradRescale.None), gradients);
        var rescaled = GramSpace.Update(new CAGrad(0.5), gradients);
        GramSpace.AssertClose(Scale(plain, 1 / 1.25), rescaled, 1e-12, Norm(plain), "1/(1+c²)");
    }
}
