using System;
using System.Collections.Generic;
using System.Linq;
using GradSurgery.Tests.Literal;
using Xunit;

namespace GradSurgery.Tests.Solvers;

/// <summary>
/// Wolfe's min-norm point solver step by step: its trace (corral and weights after every step,
/// through the internal seam) against <see cref="LiteralWolfe"/>, which runs the paper's steps on the
/// points themselves; its answer against the optimality conditions; its conventions (ties, scale,
/// the start) pinned. The minor cycle changes the path, not only the answer, so only a step-by-step
/// comparison can tell a broken minor cycle from a working one.
/// </summary>
public class MinimumNormPointTests
{
    private const double WeightTolerance = 1e-9;

    /// <summary>
    /// (seed, points, dimension, decoys): generic correlated points, and "decoy" configurations where the
    /// shortest points sit just above a hyperplane whose nearest point is spanned by far, wide points, so
    /// that the minor cycle must drop the points it started from.
    /// </summary>
    public static TheoryData<int, int, int, bool> RandomCases() => new()
    {
        { 1, 3, 5, false },
        { 2, 5, 3, false },
        { 3, 8, 4, false },
        { 4, 10, 10, false },
        { 6, 17, 20, false },
        { 8, 24, 12, false },
        { 3, 8, 4, true },
        { 5, 12, 6, true },
        { 8, 24, 12, true },
        { 9, 12, 2, true },
        { 10, 20, 3, true },
        { 12, 30, 8, true },
    };

    [Theory]
    [MemberData(nameof(RandomCases))]
    public void Every_step_matches_Wolfes_algorithm_run_on_the_points(int seed, int n, int dimension, bool decoys)
    {
        var points = Points(seed, n, dimension, decoys);
        var expected = LiteralWolfe.Trace(points);
        var actual = Trace(GramOf(points));

        AssertSameTrace(expected, actual);
    }

    [Fact]
    public void The_random_cases_exercise_the_minor_cycle()
    {
        // Guards the step-by-step test against becoming vacuous: the minor cycle (a step after which
        // a point of the previous corral is gone) must run in every decoy case, some case must drop
        // two or more points, and the longest path must exceed 50/n major steps (the iteration cap).
        var drops = new List<int>();
        var longest = 0;
        foreach (var row in RandomCases())
        {
            var (seed, n, dimension, decoys) = ((int)row[0], (int)row[1], (int)row[2], (bool)row[3]);
            var steps = LiteralWolfe.Trace(Points(seed, n, dimension, decoys));
            if (decoys)
                drops.Add(Enumerable.Range(1, steps.Count - 1).Count(s => steps[s - 1].Corral.Except(steps[s].Corral).Any()));
            longest = Math.Max(longest, steps.Count);
        }
        Assert.True(drops.All(d => d > 0), $"drops per decoy case: {string.Join(", ", drops)}");
        Assert.Contains(drops, d => d >= 2);
        Assert.True(longest > 10, $"the longest trace has {longest} steps");
    }

    [Theory]
    [MemberData(nameof(RandomCases))]
    public void The_answer_satisfies_the_optimality_conditions_on_the_simplex(int seed, int n, int dimension, bool decoys)
    {
        var gram = GramOf(Points(seed, n, dimension, decoys));
        var w = MinimumNormPoint.Solve(gram);

        // w ∈ simplex, and (K·w)ᵢ ≥ wᵀKw for every i, with equality where wᵢ > 0.
        Assert.All(w, v => Assert.True(v >= 0));
        Assert.Equal(1, w.Sum(), 12);
        var kw = Enumerable.Range(0, n).Select(i => Enumerable.Range(0, n).Sum(j => gram[i, j] * w[j])).ToArray();
        var value = Enumerable.Range(0, n).Sum(i => w[i] * kw[i]);
        var scale = Enumerable.Range(0, n).Max(i => gram[i, i]);
        for (var i = 0; i < n; i++)
        {
            Assert.True(kw[i] >= value - (1e-12 * scale), $"task {i}: (Kw)ᵢ = {kw[i]:R} < wᵀKw = {value:R}");
            if (w[i] > 0)
                Assert.True(Math.Abs(kw[i] - value) <= 1e-10 * scale, $"task {i} on the support: (Kw)ᵢ = {kw[i]:R}, wᵀKw = {value:R}");
        }
    }

    [Theory]
    [InlineData(1e-9)]
    [InlineData(1e9)]
    public void Scaling_every_gradient_changes_no_step(double factor)
    {
        // The tolerances are relative to the largest squared norm: the path on s²·K is the path on K.
        var points = Points(5, 12, 6, decoys: true);
        var gram = GramOf(points);
        var scaled = new double[12, 12];
        for (var i = 0; i < 12; i++)
        {
            for (var j = 0; j < 12; j++)
                scaled[i, j] = gram[i, j] * factor * factor;
        }

        AssertSameTrace(LiteralWolfe.Trace(points), Trace(scaled));
    }

    [Fact]
    public void Starts_at_the_first_of_equally_short_gradients_and_enters_the_first_of_equally_opposed()
    {
        // Three unit gradients at 120°: every norm is 1 and p₁, p₂ are equally opposed to p₀. Wolfe's
        // algorithm starts at p₀, enters p₁, then p₂, and ends at the origin with equal weights.
        var gram = new double[,] { { 1, -0.5, -0.5 }, { -0.5, 1, -0.5 }, { -0.5, -0.5, 1 } };
        var steps = Trace(gram);

        Assert.Equal(new[] { 0 }, steps[0].Corral);
        Assert.Equal(new[] { 0, 1 }, steps[1].Corral);
        Assert.Equal(0.5, steps[1].Weights[0], 15);
        Assert.Equal(0.5, steps[1].Weights[1], 15);
        Assert.Equal(0, steps[1].Weights[2]);
        Assert.Equal(new[] { 0, 1, 2 }, steps[2].Corral);
        Assert.Equal(3, steps.Count);
        Assert.All(steps[2].Weights, v => Assert.Equal(1.0 / 3, v, 15));
    }

    [Fact]
    public void Drops_the_starting_point_when_the_nearest_point_lies_between_two_others()
    {
        // p₀ = (0.1, 1.2) is the shortest but the hull's nearest point to the origin is the midpoint
        // (0, 1.1) of p₁ = (−1.5, 1.1) and p₂ = (1.5, 1.1). Corral {0} → {0, 1} (p₁ is the most
        // opposed to p₀) → {0, 1, 2}, whose affine point (the origin) gives p₀ a negative weight:
        // p₀ leaves → {1, 2}, whose affine point is the midpoint, accepted.
        var points = new[] { new[] { 0.1, 1.2 }, new[] { -1.5, 1.1 }, new[] { 1.5, 1.1 } };
        var steps = Trace(GramOf(points));

        AssertSameTrace(LiteralWolfe.Trace(points), steps);
        Assert.Equal(new[] { "0", "0,1", "1,2", "1,2" }, steps.Select(s => string.Join(",", s.Corral)));
        Assert.Equal(0, steps[^1].Weights[0]);
        Assert.Equal(0.5, steps[^1].Weights[1], 12);
        Assert.Equal(0.5, steps[^1].Weights[2], 12);
    }

    [Fact]
    public void Stops_when_the_entering_point_is_affinely_dependent_on_the_corral()
    {
        // p₀ = (1, 1), p₁ = (−1, 1): corral {0} → {0, 1}, affine point (0, 1). p₂ = (5, 1 − ε) = 3p₀ − 2p₁ −
        // (0, ε) violates optimality by ε (x·p₂ = 1 − ε < ‖x‖² = 1, ε/26 after the scaling by max Kᵢᵢ, far
        // above the gap tolerance), but it lies ε from the corral's line: its new pivot, ε²/26, is below
        // WolfeCorral's 1e-12·(1 + K₂₂). It is refused and the search ends at (½, ½, 0), whose squared norm
        // exceeds the hull's minimum (1 − ε/3, on the segment p₁p₂) by ε/3: refusing a dependent point
        // costs at most the square root of the pivot tolerance, relatively.
        const double Epsilon = 1e-7;
        var points = new[] { new[] { 1.0, 1 }, new[] { -1.0, 1 }, new[] { 5, 1 - Epsilon } };
        var gram = GramOf(points);
        var steps = Trace(gram);

        Assert.Equal(new[] { "0", "0,1" }, steps.Select(s => string.Join(",", s.Corral)));
        var w = MinimumNormPoint.Solve(gram);
        Assert.Equal(0.5, w[0], 15);
        Assert.Equal(0.5, w[1], 15);
        Assert.Equal(0, w[2]);
        var x = Vectors.Combine(points, w);
        Assert.InRange(Vectors.Dot(x, x) - (1 - (Epsilon / 3)), 0, Epsilon / 2);
    }

    [Fact]
    public void One_gradient_or_all_zero_gradients_give_the_first_weight_one()
    {
        Assert.Equal(new[] { 1.0 }, MinimumNormPoint.Solve(new double[,] { { 4 } }));
        Assert.Equal(new[] { 1.0, 0, 0 }, MinimumNormPoint.Solve(new double[3, 3]));
        Assert.Empty(Trace(new double[3, 3]));
    }

    private static List<(int[] Corral, double[] Weights)> Trace(double[,] gram)
    {
        var steps = new List<(int[] Corral, double[] Weights)>();
        MinimumNormPoint.Solve(gram, (members, weights) => steps.Add((members.Order().ToArray(), weights)));
        return steps;
    }

    private static void AssertSameTrace(List<(int[] Corral, double[] Weights)> expected, List<(int[] Corral, double[] Weights)> actual)
    {
        Assert.Equal(expected.Select(s => string.Join(",", s.Corral)), actual.Select(s => string.Join(",", s.Corral)));
        for (var s = 0; s < expected.Count; s++)
        {
            var (corral, w) = actual[s];
            for (var i = 0; i < w.Length; i++)
            {
                if (Array.IndexOf(corral, i) < 0)
                    Assert.True(w[i] == 0, $"step {s}: weight {i} = {w[i]:R} off the corral");
                else
                    Assert.True(Math.Abs(w[i] - expected[s].Weights[i]) <= WeightTolerance, $"step {s}: w[{i}] = {w[i]:R}, expected {expected[s].Weights[i]:R}");
            }
            Assert.Equal(1, w.Sum(), 12);
        }
    }

    private static double[][] Points(int seed, int n, int dimension, bool decoys)
    {
        var random = new Random(seed);
        return decoys ? DecoyPoints(random, n, dimension) : CorrelatedPoints(random, n, dimension);
    }

    /// <summary>Points with a shared component (as task gradients have), so that the hull is away from the origin.</summary>
    private static double[][] CorrelatedPoints(Random random, int n, int dimension)
    {
        var shared = Enumerable.Range(0, dimension).Select(_ => random.NextDouble() - 0.5).ToArray();
        return Enumerable.Range(0, n)
            .Select(_ => Enumerable.Range(0, dimension).Select(k => (0.6 * shared[k]) + random.NextDouble() - 0.5).ToArray())
            .ToArray();
    }

    /// <summary>
    /// Even points: decoys, short, on the last axis at height 1.02–1.32 with a lateral offset below 0.05;
    /// odd points: wide, at height 1 with a lateral offset of length 1. The nearest point of the hull is
    /// (0, …, 0, 1), spanned by wide points, but the algorithm starts from the shortest decoy.
    /// </summary>
    private static double[][] DecoyPoints(Random random, int n, int dimension)
    {
        const double DecoyOffset = 0.1;
        return Enumerable.Range(0, n).Select(i =>
        {
            var decoy = i % 2 == 0;
            var lateral = Enumerable.Range(0, dimension - 1).Select(_ => random.NextDouble() - 0.5).ToArray();
            var length = Math.Sqrt(lateral.Sum(x => x * x));
            var scale = decoy ? DecoyOffset : 1 / length;
            var height = decoy ? 1.02 + (0.3 * random.NextDouble()) : 1;
            return lateral.Select(x => scale * x).Append(height).ToArray();
        }).ToArray();
    }

    private static double[,] GramOf(double[][] points)
    {
        var n = points.Length;
        var gram = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
                gram[i, j] = Vectors.Dot(points[i], points[j]);
        }
        return gram;
    }
}
