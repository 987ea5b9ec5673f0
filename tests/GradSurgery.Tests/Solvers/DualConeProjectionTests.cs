using System;
using System.Collections.Generic;
using System.Linq;
using GradSurgery.Tests.Literal;
using GradSurgery.Tests.Weightings;
using Xunit;
using static GradSurgery.Tests.Literal.Vectors;

namespace GradSurgery.Tests.Solvers;

/// <summary>The dual-cone projection solver against brute force over active sets, and its KKT conditions.</summary>
public class DualConeProjectionTests
{
    public static IEnumerable<object[]> Cases()
    {
        foreach (var t in new[] { 2, 3, 4, 5, 6 })
        {
            yield return new object[] { $"random T={t}", GradientCases.Random(t, 20 + t) };
            yield return new object[] { $"conflicting T={t}", GradientCases.Conflicting(t, 30 + t) };
            yield return new object[] { $"rank-deficient T={t}", GradientCases.RankDeficient(t, 40 + t) };
            yield return new object[] { $"more tasks than dimensions T={t}", GradientCases.Random(t, 50 + t, p: 2) };
            yield return new object[] { $"origin in the hull T={t}", OriginInHull(t, 60 + t) };
        }
        yield return new object[] { "opposite pair", new double[,] { { 1, 2, 0 }, { -1, -2, 0 } } };
        yield return new object[] { "zero row", new double[,] { { 1, -2, 0 }, { 0, 0, 0 }, { -1, 1, 1 } } };
        yield return new object[] { "identical conflicting rows", new double[,] { { 1, 0 }, { -3, 1 }, { -3, 1 } } };
        // g₃ = g₁ + g₂ + δ·e₃ and g₄ conflicting with all three: projecting g₄ frees g₁, g₂ and g₃ (the last
        // to enter has a slope of order δ). At δ = 1e-7 the free set's Cholesky pivot (~δ²) is below its
        // 1e-12 tolerance and the pseudo-inverse solves it (checked); at 1e-5 Cholesky still does.
        foreach (var delta in new[] { 1e-5, 1e-7 })
            yield return new object[] { $"nearly dependent free set δ={delta}", new double[,] { { 1, 0, 0, 0 }, { 0, 1, 0, 0 }, { 1, 1, delta, 0 }, { -1, -1, 1, 1 } } };
    }

    /// <summary>T gradients in T − 1 dimensions whose last is minus a positive combination of the others: 0 is in their hull.</summary>
    public static double[,] OriginInHull(int t, int seed)
    {
        var random = new Random(seed);
        var p = Math.Max(t - 1, 2);
        var g = new double[t, p];
        for (var i = 0; i < t - 1; i++)
        {
            var a = 0.5 + random.NextDouble();
            for (var k = 0; k < p; k++)
            {
                g[i, k] = (2 * random.NextDouble()) - 1;
                g[t - 1, k] -= a * g[i, k];
            }
        }
        return g;
    }

    private static IEnumerable<double[]> Targets(int t)
    {
        yield return Enumerable.Repeat(1.0 / t, t).ToArray();
        for (var i = 0; i < t; i++)
            yield return Enumerable.Range(0, t).Select(k => k == i ? 1.0 : 0).ToArray();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Projection_equals_the_brute_force_over_active_sets(string name, double[,] gradients)
    {
        var g = Rows(gradients);
        var gramian = Gramian.FromGradients(gradients);
        var scale = GramSpace.Scale(gradients);
        foreach (var u in Targets(g.Length))
        {
            var d = Combine(g, DualConeProjection.Solve(gramian.ToArray(), u));
            var expected = LiteralConeProjection.Project(g, Combine(g, u));
            GramSpace.AssertClose(expected, d, 1e-9, scale, $"{name}, u = [{string.Join(", ", u)}]");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Projection_satisfies_its_optimality_conditions(string name, double[,] gradients)
    {
        var g = Rows(gradients);
        var m = Gramian.FromGradients(gradients).ToArray();
        var scale = GramSpace.Scale(gradients);
        foreach (var u in Targets(g.Length))
        {
            var weights = DualConeProjection.Solve(m, u);
            var d = Combine(g, weights);
            for (var i = 0; i < g.Length; i++)
            {
                var v = weights[i] - u[i];
                var slack = Dot(g[i], d);
                Assert.True(v >= 0, $"{name}: multiplier {i} is {v:E3} < 0");
                Assert.True(slack >= -1e-10 * scale * scale, $"{name}: the projection conflicts with task {i} ({slack:E3})");
                Assert.True(v * slack <= 1e-10 * scale * scale * (1 + v), $"{name}: complementary slackness fails at task {i} (v = {v:E3}, g·d = {slack:E3})");
            }
        }
    }

    public static IEnumerable<object[]> TraceCases()
    {
        foreach (var row in Cases())
        {
            if (!((string)row[0]).StartsWith("nearly dependent", StringComparison.Ordinal))
                yield return row;
        }
        // g₂ ⊥ g₁ with g₃ conflicting: projecting g₁ frees g₃ only; g₂'s slope stays exactly 0, which must
        // not let it enter.
        yield return new object[] { "orthogonal task", new double[,] { { 1, 0, 0 }, { 0, 1, 0 }, { -1, 0, 1 } } };
    }

    [Theory]
    [MemberData(nameof(TraceCases))]
    public void Every_step_matches_Lawson_and_Hansons_algorithm_run_on_the_gradients(string name, double[,] gradients)
    {
        var g = Rows(gradients);
        var m = Gramian.FromGradients(gradients).ToArray();
        foreach (var u in Targets(g.Length))
        {
            var expected = LiteralLawsonHanson.Trace(g, u);
            var actual = new List<(int[] Free, double[] V)>();
            DualConeProjection.Solve(m, u, (free, v) => actual.Add(([.. Enumerable.Range(0, free.Length).Where(i => free[i])], v)));

            var context = $"{name}, u = [{string.Join(", ", u)}]";
            Assert.True(expected.Select(e => string.Join(",", e.Free)).SequenceEqual(actual.Select(a => string.Join(",", a.Free))),
                $"{context}: free sets {string.Join(" | ", actual.Select(a => string.Join(",", a.Free)))}, expected {string.Join(" | ", expected.Select(e => string.Join(",", e.Free)))}");
            for (var s = 0; s < expected.Count; s++)
            {
                for (var i = 0; i < g.Length; i++)
                    Assert.True(Math.Abs(actual[s].V[i] - expected[s].V[i]) <= 1e-9 * (1 + Math.Abs(expected[s].V[i])), $"{context}, step {s}: v[{i}] = {actual[s].V[i]:R}, expected {expected[s].V[i]:R}");
            }
        }
    }

    [Fact]
    public void The_trace_cases_bind_tasks_in_the_inner_loop()
    {
        // Guards the step-by-step test against becoming vacuous: some case must take an inner step that
        // binds a free task (a free set that shrinks from one step to the next).
        var shrinking = 0;
        foreach (var row in TraceCases())
        {
            var g = Rows((double[,])row[1]);
            foreach (var u in Targets(g.Length))
            {
                var steps = LiteralLawsonHanson.Trace(g, u);
                shrinking += Enumerable.Range(1, Math.Max(steps.Count - 1, 0)).Count(s => steps[s - 1].Free.Except(steps[s].Free).Any());
            }
        }
        Assert.True(shrinking > 0, "no inner step binds a task");
    }

    [Fact]
    public void Of_identical_conflicting_gradients_the_first_is_moved()
    {
        // g₁ = (1, 0), g₂ = g₃ = (−3, 1): projecting g₁ moves along g₂ (the first of equally steepest)
        // until (1, 0) + v·(−3, 1) is orthogonal to it: −3 + 10v = 0, v = 0.3.
        var m = Gramian.FromGradients(new double[,] { { 1, 0 }, { -3, 1 }, { -3, 1 } }).ToArray();
        Assert.Equal(new[] { 1, 0.3, 0 }, DualConeProjection.Solve(m, [1, 0, 0]), new ToleranceComparer(1e-15));
    }

    [Fact]
    public void Scaling_the_gradients_does_not_change_the_weights()
    {
        var gradients = GradientCases.Conflicting(4, 9);
        var u = Enumerable.Repeat(0.25, 4).ToArray();
        var reference = DualConeProjection.Solve(Gramian.FromGradients(gradients).ToArray(), u);
        foreach (var factor in new[] { 1e-10, 1e10 })
        {
            var scaled = (double[,])gradients.Clone();
            for (var i = 0; i < 4; i++)
            {
                for (var k = 0; k < scaled.GetLength(1); k++)
                    scaled[i, k] *= factor;
            }
            Assert.Equal(reference, DualConeProjection.Solve(Gramian.FromGradients(scaled).ToArray(), u), new ToleranceComparer(1e-9));
        }
    }

    [Fact]
    public void A_vector_already_in_the_cone_is_returned_unchanged()
    {
        var m = new double[,] { { 1, 0.5 }, { 0.5, 2 } };
        Assert.Equal(new[] { 0.5, 0.5 }, DualConeProjection.Solve(m, new[] { 0.5, 0.5 }));
        Assert.Equal(new[] { 0.3, 0.7 }, DualConeProjection.Solve(new double[2, 2], new[] { 0.3, 0.7 }));
    }

    [Fact]
    public void Hand_worked_projection_of_a_conflicting_pair()
    {
        // g1 = (1, 0), g2 = (−1, 1), x = g1: x·g2 = −1 < 0, so x moves along g2 until x·g2 = 0:
        // x + v·g2 with −1 + 2v = 0, v = 1/2, d = (1/2, 1/2).
        var m = new double[,] { { 1, -1 }, { -1, 2 } };
        Assert.Equal(new[] { 1.0, 0.5 }, DualConeProjection.Solve(m, new[] { 1.0, 0 }), new ToleranceComparer(1e-15));
    }
}
