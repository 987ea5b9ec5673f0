using System;
using System.Collections.Generic;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using static GradSurgery.Tests.Literal.Vectors;

namespace GradSurgery.Tests.Weightings;

/// <summary>The properties the papers prove, checked on every gradient case.</summary>
public class PaperPropertyTests
{
    public static IEnumerable<object[]> Cases() => GradientCases.All();

    /// <summary>
    /// Larger task counts for the simplex solvers (T up to 64, where their active sets change many
    /// times): random gradients in 2T dimensions, about half the pairs conflicting.
    /// </summary>
    public static IEnumerable<object[]> LargeCases()
    {
        foreach (var t in new[] { 24, 32, 48, 64 })
        {
            foreach (var seed in new[] { 11, 12 })
                yield return new object[] { $"random T={t} seed {seed}", GradientCases.Random(t, seed, 2 * t) };
        }
    }

    /// <summary>Allowed negative dot products, relative to ‖d‖·‖gⱼ‖: rounding only.</summary>
    private const double ConflictSlack = 1e-9;

    private static void AssertNoConflict(double[] d, double[,] gradients, string label)
    {
        foreach (var (g, j) in Rows(gradients).Select((g, j) => (g, j)))
        {
            var dot = Dot(d, g);
            Assert.True(dot >= -ConflictSlack * Norm(d) * Norm(g) - 1e-300, $"{label}: update conflicts with task {j} (d·g = {dot:E3}).");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradOps_never_conflicts_and_projected_gradients_are_orthogonal_to_the_others(string name, double[,] gradients)
    {
        var g = Rows(gradients);
        var gramian = Gramian.FromGradients(gradients);
        var coefficients = GradOps.DeconflictedCoefficients(gramian);
        for (var i = 0; i < g.Length; i++)
        {
            var gi = Combine(g, Row(coefficients, i));
            var conflicted = Enumerable.Range(0, g.Length).Any(j => j != i && gramian[i, j] < 0);
            for (var j = 0; j < g.Length; j++)
            {
                var dot = Dot(gi, g[j]);
                Assert.True(dot >= -ConflictSlack * GramSpace.Scale(gradients) * Norm(g[j]), $"{name}: g'_{i} conflicts with g_{j}");
                if (conflicted && j != i)
                    Assert.True(Math.Abs(dot) <= 1e-8 * GramSpace.Scale(gradients) * Norm(g[j]) + 1e-300, $"{name}: conflicted g'_{i} is not orthogonal to g_{j} ({dot:E3})");
            }
        }
        foreach (var alpha in new[] { -5.0, -2.0, 0.0, 2.0, 5.0 })
            AssertNoConflict(GramSpace.Update(new GradOps(alpha), gradients), gradients, $"{name}, alpha={alpha}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Mgda_and_CAGrad_with_c_at_least_one_never_conflict(string name, double[,] gradients)
    {
        AssertNoConflict(GramSpace.Update(new Mgda(), gradients), gradients, name + " MGDA");
        if (!name.StartsWith("zero row", StringComparison.Ordinal) && !name.StartsWith("all zero", StringComparison.Ordinal))
        {
            AssertNoConflict(GramSpace.Update(new CAGrad(1.0), gradients), gradients, name + " CAGrad c=1");
            AssertNoConflict(GramSpace.Update(new CAGrad(2.0), gradients), gradients, name + " CAGrad c=2");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PCGrad_with_two_tasks_never_conflicts(string name, double[,] gradients)
    {
        if (gradients.GetLength(0) == 2)
            AssertNoConflict(GramSpace.Update(new PCGrad(seed: 1), gradients), gradients, name);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    [MemberData(nameof(LargeCases))]
    public void Mgda_satisfies_its_KKT_conditions(string name, double[,] gradients)
    {
        var gramian = Gramian.FromGradients(gradients);
        var w = new Mgda().ComputeWeights(gramian);
        // ∇(wᵀMw)/2 = Mw; optimal iff (Mw)ᵢ ≥ wᵀMw for all i, with equality on the support.
        var mw = gramian.Multiply(w);
        var value = gramian.QuadraticForm(w);
        var scale = GramSpace.Scale(gradients);
        for (var i = 0; i < w.Length; i++)
        {
            Assert.True(mw[i] >= value - 1e-12 * scale * scale, $"{name}: KKT violated at {i}");
            if (w[i] > 1e-9)
                Assert.True(Math.Abs(mw[i] - value) <= 1e-11 * scale * scale, $"{name}: support {i} not stationary");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    [MemberData(nameof(LargeCases))]
    public void CAGrad_dual_satisfies_its_KKT_conditions_and_closes_the_duality_gap(string name, double[,] gradients)
    {
        var g = Rows(gradients);
        var t = g.Length;
        var gramian = Gramian.FromGradients(gradients);
        var g0 = Scale(Combine(g, Enumerable.Repeat(1.0, t).ToArray()), 1.0 / t);
        var c = 0.5;
        var rho = c * Norm(g0);
        var w = new CAGrad(c).DualWeights(gramian);
        var gw = Combine(g, w);
        var scale = GramSpace.Scale(gradients);
        if (Norm(gw) <= 1e-7 * scale || rho == 0)
            return; // F is not differentiable at g_w = 0; covered by the literal comparison.
        Solvers.ConflictAverseKkt.AssertHolds(name, g, g0, rho, w, scale);
        // The primal d = g₀ + ρ·g_w/‖g_w‖ attains the dual value: min_i gᵢ·d = F(w).
        var d = Add(g0, gw, rho / Norm(gw));
        var primal = g.Min(gi => Dot(gi, d));
        var dual = Dot(gw, g0) + (rho * Norm(gw));
        Assert.True(Math.Abs(primal - dual) <= 1e-8 * scale * scale, $"{name}: duality gap {primal - dual:E3}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AlignedMtl_aligned_system_has_condition_number_one(string name, double[,] gradients)
    {
        var gramian = Gramian.FromGradients(gradients);
        var b = new AlignedMtl().BalanceTransformation(gramian);
        var t = gramian.TaskCount;
        // Gram of the aligned system: B·M·B = s·(projector on the kept eigenvectors).
        var aligned = new double[t, t];
        for (var i = 0; i < t; i++)
        {
            for (var j = 0; j < t; j++)
            {
                for (var k = 0; k < t; k++)
                {
                    for (var l = 0; l < t; l++)
                        aligned[i, j] += b[i, k] * gramian[k, l] * b[l, j];
                }
            }
        }
        var eigenvalues = new Gramian(aligned).Eigenvalues;
        var largest = eigenvalues.Max();
        if (largest <= 0)
            return;
        var nonZero = eigenvalues.Where(e => e > 1e-6 * largest).ToArray();
        Assert.True(nonZero.Max() / nonZero.Min() - 1 < 1e-6, $"{name}: aligned eigenvalues {string.Join(", ", nonZero)}");
    }

    public static IEnumerable<object[]> OrderFreeMethods()
    {
        yield return new object[] { "Mean", new Mean() };
        yield return new object[] { "Sum", new Sum() };
        yield return new object[] { "MGDA", new Mgda() };
        yield return new object[] { "CAGrad", new CAGrad() };
        yield return new object[] { "GradOPS a=-2", new GradOps(-2) };
        yield return new object[] { "GradOPS a=2", new GradOps(2) };
        yield return new object[] { "Aligned-MTL", new AlignedMtl() };
        yield return new object[] { "UPGrad", new UPGrad() };
        yield return new object[] { "DualProj", new DualProj() };
    }

    [Theory]
    [MemberData(nameof(OrderFreeMethods))]
    public void Order_free_methods_are_permutation_invariant(string name, IGramianWeighting method)
    {
        var gradients = GradientCases.Conflicting(5, 21);
        var permutation = new[] { 3, 0, 4, 2, 1 };
        var permuted = new double[5, GradientCases.Parameters];
        for (var i = 0; i < 5; i++)
        {
            for (var k = 0; k < GradientCases.Parameters; k++)
                permuted[i, k] = gradients[permutation[i], k];
        }
        GramSpace.AssertClose(GramSpace.Update(method, gradients), GramSpace.Update(method, permuted), 1e-10, GramSpace.Scale(gradients), name);
    }

    public static IEnumerable<object[]> AllMethods()
    {
        foreach (var m in OrderFreeMethods())
            yield return m;
        yield return new object[] { "PCGrad", new PCGrad(order: PCGradTaskOrder.Fixed) };
    }

    [Theory]
    [MemberData(nameof(AllMethods))]
    public void Scaling_every_gradient_scales_the_update(string name, IGramianWeighting method)
    {
        var gradients = GradientCases.Conflicting(4, 31);
        var reference = GramSpace.Update(method, gradients);
        var property = Prop.ForAll(Gen.Choose(-10, 10).ToArbitrary(), exponent =>
        {
            var s = Math.Pow(10, exponent);
            var scaled = new double[4, GradientCases.Parameters];
            for (var i = 0; i < 4; i++)
            {
                for (var k = 0; k < GradientCases.Parameters; k++)
                    scaled[i, k] = s * gradients[i, k];
            }
            var d = GramSpace.Update(method, scaled);
            return d.Zip(reference).All(p => Math.Abs((p.First / s) - p.Second) <= 1e-9 * GramSpace.Scale(gradients));
        });
        property.Check(Config.QuickThrowOnFailure.WithMaxTest(40));
        Assert.NotNull(name);
    }
}
