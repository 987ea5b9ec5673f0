using System;
using System.Collections.Generic;
using System.Linq;
using GradSurgery.Tests.Literal;
using Xunit;
using static GradSurgery.Tests.Literal.Vectors;

namespace GradSurgery.Tests.Weightings;

/// <summary>
/// Gram-space results against literal parameter-space implementations of the algorithm boxes.
/// Tolerances: 1e-9 relative to the largest gradient norm on well-conditioned and degenerate inputs;
/// 1e-5 on nearly collinear ones, whose κ ≈ 1e3 becomes κ² ≈ 1e6 in the Gram matrix and amplifies
/// rounding (≈ 1e-16) by that much in the projections.
/// </summary>
public class LiteralParityTests
{
    private const double Tight = 1e-9;
    private const double IllConditioned = 1e-5;

    public static IEnumerable<object[]> Cases() => GradientCases.All();

    /// <summary>The generic reference minimiser costs O(T²) line searches per sweep: kept to T ≤ 8 (optimality at larger T is checked by KKT).</summary>
    public static IEnumerable<object[]> SmallCases() => GradientCases.All().Where(c => ((double[,])c[1]).GetLength(0) <= 8);

    private static double ToleranceFor(string name) => name.StartsWith("nearly collinear", StringComparison.Ordinal) ? IllConditioned : Tight;

    [Theory]
    [MemberData(nameof(Cases))]
    public void PCGrad_fixed_order_matches_Algorithm_1(string name, double[,] gradients)
    {
        var g = Rows(gradients);
        var expected = LiteralPCGrad.Update(g, LiteralPCGrad.FixedOrders(g.Length));
        var actual = GramSpace.Update(new PCGrad(order: PCGradTaskOrder.Fixed), gradients);
        GramSpace.AssertClose(expected, actual, ToleranceFor(name), GramSpace.Scale(gradients), name);
        var mean = GramSpace.Update(new PCGrad(PCGradReduction.Mean, PCGradTaskOrder.Fixed), gradients);
        GramSpace.AssertClose(Scale(expected, 1.0 / g.Length), mean, ToleranceFor(name), GramSpace.Scale(gradients), name + " (mean)");
    }

    [Fact]
    public void PCGrad_random_order_is_Algorithm_1_with_some_permutation_per_task()
    {
        var gradients = GradientCases.Conflicting(3, 11);
        var g = Rows(gradients);
        var permutations = Permutations(3).ToArray();
        var reachable = new List<double[]>();
        foreach (var a in permutations)
        {
            foreach (var b in permutations)
            {
                foreach (var c in permutations)
                    reachable.Add(LiteralPCGrad.Update(g, new[] { a, b, c }));
            }
        }
        var pcgrad = new PCGrad(seed: 42);
        var seen = new HashSet<int>();
        for (var step = 0; step < 200; step++)
        {
            var d = GramSpace.Update(pcgrad, gradients);
            var match = reachable.FindIndex(r => r.Zip(d).All(p => Math.Abs(p.First - p.Second) <= 1e-9 * GramSpace.Scale(gradients)));
            Assert.True(match >= 0, "random-order PCGrad produced an update no task order gives");
            seen.Add(match);
        }
        Assert.True(seen.Count > 1, "the random order never varied over 200 steps");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradOps_matches_Algorithm_1(string name, double[,] gradients)
    {
        foreach (var alpha in new[] { -2.0, 0.0, 2.0 })
        {
            var expected = LiteralGradOps.Update(Rows(gradients), alpha);
            var actual = GramSpace.Update(new GradOps(alpha), gradients);
            if (expected is null)
                expected = GramSpace.Update(new Mgda(), gradients);
            GramSpace.AssertClose(expected, actual, ToleranceFor(name), GramSpace.Scale(gradients), $"{name}, alpha={alpha}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AlignedMtl_matches_the_SVD_alignment(string name, double[,] gradients)
    {
        var t = gradients.GetLength(0);
        var ones = Enumerable.Repeat(1.0, t).ToArray();
        var preference = Enumerable.Range(1, t).Select(i => (double)i).ToArray();
        var modes = new (AlignedMtlScale Mode, Func<double[], double> Scale)[]
        {
            (AlignedMtlScale.Min, e => e.Min()),
            (AlignedMtlScale.Median, e => e.OrderBy(x => x).ElementAt((e.Length - 1) / 2)),
            (AlignedMtlScale.Mean, e => e.Average()),
        };
        foreach (var (mode, scale) in modes)
        {
            foreach (var w in new[] { ones, preference })
            {
                var expected = LiteralAlignedMtl.Update(gradients, w, scale);
                var actual = GramSpace.Update(new AlignedMtl(w, mode), gradients);
                GramSpace.AssertClose(expected, actual, ToleranceFor(name), GramSpace.Scale(gradients), $"{name}, {mode}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(SmallCases))]
    public void Mgda_is_at_least_as_good_as_a_generic_simplex_minimiser(string name, double[,] gradients)
    {
        var g = Rows(gradients);
        var w = new Mgda().ComputeWeights(Gramian.FromGradients(gradients));
        var reference = LiteralSimplex.Minimize(x => LiteralSimplex.MinNormObjective(g, x), g.Length);
        var scale = GramSpace.Scale(gradients);
        Assert.True(LiteralSimplex.MinNormObjective(g, w) <= LiteralSimplex.MinNormObjective(g, reference) + 1e-13 * scale * scale, name);
        Assert.Equal(1.0, w.Sum(), 12);
        Assert.All(w, x => Assert.True(x >= 0));
    }

    [Theory]
    [MemberData(nameof(SmallCases))]
    public void CAGrad_dual_is_at_least_as_good_as_a_generic_simplex_minimiser(string name, double[,] gradients)
    {
        var g = Rows(gradients);
        var t = g.Length;
        var g0 = Scale(Combine(g, Enumerable.Repeat(1.0, t).ToArray()), 1.0 / t);
        var c = 0.5;
        var rho = c * Norm(g0);
        double F(double[] w) => Dot(Combine(g, w), g0) + rho * Norm(Combine(g, w));
        var cagrad = new CAGrad(c, CAGradRescale.None);
        var w = cagrad.DualWeights(Gramian.FromGradients(gradients));
        var reference = LiteralSimplex.Minimize(F, t);
        var scale = GramSpace.Scale(gradients);
        Assert.True(F(w) <= F(reference) + 1e-12 * scale * scale, $"{name}: F = {F(w):R} vs reference {F(reference):R}");
    }

    private static IEnumerable<int[]> Permutations(int n)
    {
        if (n == 1)
        {
            yield return new[] { 0 };
            yield break;
        }
        foreach (var p in Permutations(n - 1))
        {
            for (var position = 0; position < n; position++)
            {
                var list = p.ToList();
                list.Insert(position, n - 1);
                yield return list.ToArray();
            }
        }
    }
}
