using System;
using System.Collections.Generic;
using System.Linq;
using GradSurgery.Tests.Literal;
using GradSurgery.Tests.Properties;
using TorchSharp;
using Xunit;
using static GradSurgery.Tests.Literal.Vectors;
using static TorchSharp.torch;

namespace GradSurgery.Tests.Weightings;

/// <summary>
/// The method family's Gram-space (and device) results against literal parameter-space
/// implementations of the papers (test code only, written from the equations). Tolerances are
/// relative to the largest gradient norm: 1e-9 for closed forms; the literal α-fair maximiser stops at
/// a Newton decrement of 1e-26 and the library's root carries its 1e-12 regularisation, so 1e-8 there.
/// </summary>
public class FamilyLiteralParityTests
{
    private const double Tight = 1e-9;
    private const double Iterative = 1e-8;

    /// <summary>Full row rank, non-zero rows: where the papers' closed forms (plain inverses) are defined.</summary>
    public static IEnumerable<object[]> Independent() => GradientCases.WellConditioned();

    public static IEnumerable<object[]> Cases() => GradientCases.All();

    [Theory]
    [MemberData(nameof(Independent))]
    public void ImtlG_matches_the_papers_closed_form(string name, double[,] gradients)
    {
        GramSpace.AssertClose(LiteralImtlG.Update(Rows(gradients)), GramSpace.Update(new ImtlG(), gradients), 1e-8, GramSpace.Scale(gradients), name);
    }

    [Theory]
    [MemberData(nameof(Independent))]
    public void FairGrad_is_the_maximiser_of_the_alpha_fair_utility(string name, double[,] gradients)
    {
        var g = Rows(gradients);
        var start = GramSpace.Update(new Mgda(), gradients); // gₜ·d ≥ ‖d‖² > 0: feasible.
        foreach (var alpha in new[] { 0.5, 1.0, 2.0, 5.0 })
        {
            var expected = LiteralAlphaFair.Update(g, alpha, start);
            GramSpace.AssertClose(expected, GramSpace.Update(new FairGrad(alpha), gradients), Iterative, Norm(expected), $"{name}, α={alpha}");
        }
    }

    [Theory]
    [MemberData(nameof(Independent))]
    public void NashMtl_is_the_bargaining_solution_on_the_Frobenius_normalised_gradients(string name, double[,] gradients)
    {
        var gramian = Gramian.FromGradients(gradients);
        var frobenius = Math.Sqrt(Enumerable.Range(0, gramian.TaskCount).Sum(i => Enumerable.Range(0, gramian.TaskCount).Sum(j => gramian[i, j] * gramian[i, j])));
        var normalised = Rows(gradients).Select(gi => Scale(gi, 1 / Math.Sqrt(frobenius))).ToArray();
        var start = Scale(GramSpace.Update(new Mgda(), gradients), 1 / Math.Sqrt(frobenius));
        var expected = Scale(LiteralAlphaFair.Update(normalised, 1, start), Math.Sqrt(frobenius));
        GramSpace.AssertClose(expected, GramSpace.Update(new NashMtl(maxNorm: 0), gradients), Iterative, Norm(expected), name);
        var clipped = Norm(expected) > 1 ? Scale(expected, 1 / Norm(expected)) : expected;
        GramSpace.AssertClose(clipped, GramSpace.Update(new NashMtl(), gradients), Iterative, 1, name + " (maxNorm 1)");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ConFig_matches_the_pseudo_inverse_of_the_unit_gradients(string name, double[,] gradients)
    {
        var tolerance = name.StartsWith("nearly collinear", StringComparison.Ordinal) || name.StartsWith("rank-deficient", StringComparison.Ordinal) ? 1e-5 : Tight;
        GramSpace.AssertClose(LiteralConFig.Update(Rows(gradients)), GramSpace.Update(new ConFig(), gradients), tolerance, GramSpace.Scale(gradients), name);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradVac_fixed_order_matches_Algorithm_1_over_several_steps(string name, double[,] gradients) =>
        AssertGradVacMatchesAlgorithm1(gradients, name, new LiteralGradVac(gradients.GetLength(0), 0.5), new GradVac(order: PCGradTaskOrder.Fixed));

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradVac_random_order_matches_Algorithm_1_with_the_same_seeded_shuffles(string name, double[,] gradients)
    {
        const int Seed = 20;
        AssertGradVacMatchesAlgorithm1(gradients, name, new LiteralGradVac(gradients.GetLength(0), 0.5, new Random(Seed)), new GradVac(seed: Seed));
    }

    [Fact]
    public void GradVac_random_order_differs_from_index_order_when_the_order_matters()
    {
        // Guards the random-order parity test: on these gradients the visiting order changes the update.
        var gradients = GradientCases.Conflicting(4, 3);
        var batch = SuiteCases.Scaled(gradients, 2);
        var fixedOrder = new GradVac(order: PCGradTaskOrder.Fixed);
        var randomOrder = new GradVac(seed: 20);
        GramSpace.Update(fixedOrder, gradients);
        GramSpace.Update(randomOrder, gradients);
        var a = GramSpace.Update(fixedOrder, batch);
        var b = GramSpace.Update(randomOrder, batch);
        Assert.True(a.Zip(b).Max(p => Math.Abs(p.First - p.Second)) > 1e-3 * GramSpace.Scale(batch));
    }

    private static void AssertGradVacMatchesAlgorithm1(double[,] gradients, string name, LiteralGradVac literal, GradVac gradvac)
    {
        var t = gradients.GetLength(0);
        for (var step = 0; step < 4; step++)
        {
            // A different batch per step: the gradients drift, so the targets matter.
            var batch = SuiteCases.Scaled(gradients, 1 + (0.5 * step));
            for (var i = 0; i < t; i++)
                batch[i, step % GradientCases.Parameters] += 0.3 * step * GramSpace.Scale(gradients);
            GramSpace.AssertClose(literal.Update(Rows(batch)), GramSpace.Update(gradvac, batch), 1e-8, GramSpace.Scale(batch), $"{name}, step {step}");
        }
        var targets = gradvac.TargetCosines!;
        for (var i = 0; i < t; i++)
        {
            for (var j = 0; j < t; j++)
                Assert.Equal(literal.Targets[i, j], targets[i, j], 1e-9);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Krum_matches_the_distance_definition(string name, double[,] gradients)
    {
        var t = gradients.GetLength(0);
        foreach (var (f, k) in new[] { (0, 1), (1, 1), (1, 2), (0, 3) })
        {
            if (t < f + 3 || t < k || name.StartsWith("identical", StringComparison.Ordinal))
                continue; // Identical rows tie exactly; the tie rule is tested by hand.
            GramSpace.AssertClose(LiteralRobust.Krum(Rows(gradients), f, k), GramSpace.Update(new Krum(f, k), gradients), Tight, GramSpace.Scale(gradients), $"{name}, f={f}, k={k}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TrimmedMean_matches_the_coordinatewise_definition(string name, double[,] gradients)
    {
        using var scope = NewDisposeScope();
        var t = gradients.GetLength(0);
        for (var f = 0; 2 * f < t; f++)
        {
            var actual = new TrimmedMean(f).Aggregate(torch.tensor(gradients, dtype: ScalarType.Float64)).data<double>().ToArray();
            GramSpace.AssertClose(LiteralRobust.TrimmedMean(Rows(gradients), f), actual, Tight, GramSpace.Scale(gradients), $"{name}, f={f}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradDrop_matches_Algorithm_1_with_the_same_draws(string name, double[,] gradients)
    {
        using var scope = NewDisposeScope();
        var t = gradients.GetLength(0);
        var leaks = Enumerable.Range(0, t).Select(i => i % 3 == 0 ? 0 : 0.25 * (i % 3)).ToArray();
        foreach (var leak in new[] { null, leaks })
        {
            using var generator = new Generator(7, torch.CPU);
            var u = torch.rand(GradientCases.Parameters, dtype: ScalarType.Float32, generator: generator).data<float>().Select(x => (double)x).ToArray();
            var actual = new GradDrop(leak, seed: 7).Aggregate(torch.tensor(gradients, dtype: ScalarType.Float64)).data<double>().ToArray();
            GramSpace.AssertClose(LiteralRobust.GradDrop(Rows(gradients), u, leak ?? new double[t]), actual, Tight, GramSpace.Scale(gradients), name);
        }
    }

    [Fact]
    public void Elementwise_aggregators_are_seamless_across_their_column_blocks()
    {
        // 70 001 columns: two full GradDrop blocks of 2¹⁵ plus a tail, four TrimmedMean blocks of 2¹⁴ plus a tail.
        const int p = 70_001;
        using var scope = NewDisposeScope();
        var host = GradientCases.Random(5, 3, p);
        var g = torch.tensor(host, dtype: ScalarType.Float64);
        var rows = Rows(host);
        using (var generator = new Generator(9, torch.CPU))
        {
            var u = torch.rand(p, dtype: ScalarType.Float32, generator: generator).data<float>().Select(x => (double)x).ToArray();
            var leaks = new[] { 0, 0.5, 0, 1, 0.25 };
            GramSpace.AssertClose(LiteralRobust.GradDrop(rows, u, leaks), new GradDrop(leaks, seed: 9).Aggregate(g).data<double>().ToArray(), Tight, GramSpace.Scale(host), "GradDrop");
        }
        foreach (var f in new[] { 0, 1, 2 })
            GramSpace.AssertClose(LiteralRobust.TrimmedMean(rows, f), new TrimmedMean(f).Aggregate(g).data<double>().ToArray(), Tight, GramSpace.Scale(host), $"TrimmedMean f={f}");
    }
}
