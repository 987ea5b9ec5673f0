using System;
using System.Linq;
using Xunit;

namespace GradSurgery.Tests.Weightings;

/// <summary>The method family's options (rejected with messages naming them), state and solver accuracy.</summary>
public class FamilyOptionsAndStateTests
{
    private static void AssertRejected<TException>(Func<object> create, string parameter, string message)
        where TException : ArgumentException
    {
        var e = Assert.Throws<TException>(() => create());
        Assert.Equal(parameter, e.ParamName);
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void FairGrad_rejects_alpha_that_is_not_finite_and_positive(double alpha) =>
        AssertRejected<ArgumentOutOfRangeException>(() => new FairGrad(alpha), "alpha", "FairGrad's alpha must be finite and > 0");

    [Fact]
    public void NashMtl_rejects_bad_options()
    {
        AssertRejected<ArgumentOutOfRangeException>(() => new NashMtl(updateWeightsEvery: 0), "updateWeightsEvery", "at least 1");
        foreach (var bad in new[] { -1, double.NaN, double.PositiveInfinity })
            AssertRejected<ArgumentOutOfRangeException>(() => new NashMtl(maxNorm: bad), "maxNorm", "finite and ≥ 0");
    }

    [Fact]
    public void GradVac_Krum_Constant_and_CRMogm_reject_bad_options()
    {
        foreach (var bad in new[] { -0.1, 1.1, double.NaN })
            AssertRejected<ArgumentOutOfRangeException>(() => new GradVac(bad), "beta", "GradVac's beta must be in [0, 1]");
        AssertRejected<ArgumentOutOfRangeException>(() => new GradVac(order: (PCGradTaskOrder)7), "order", "Random, Fixed");
        AssertRejected<ArgumentOutOfRangeException>(() => new Krum(-1), "byzantineCount", "≥ 0");
        AssertRejected<ArgumentOutOfRangeException>(() => new Krum(0, 0), "selectedCount", "≥ 1");
        AssertRejected<ArgumentException>(() => new Constant([]), "weights", "at least one task weight");
        AssertRejected<ArgumentException>(() => new Constant([1, double.NaN]), "weights", "Constant weight 1 is NaN");
        Assert.Throws<ArgumentNullException>(() => new Constant(null!));
        Assert.Throws<ArgumentNullException>(() => new CRMogm(null!));
        foreach (var bad in new[] { -0.1, 1.0, double.NaN })
            AssertRejected<ArgumentOutOfRangeException>(() => new CRMogm(new Mean(), bad), "beta", "[0, 1)");
    }

    [Fact]
    public void Every_new_weighting_rejects_a_null_gramian()
    {
        IGramianWeighting[] methods = [new ImtlG(), new NashMtl(), new GradVac(), new FairGrad(), new ConFig(), new Krum(0), new Rlw(), new Constant([1]), new CRMogm(new Mean())];
        Assert.All(methods, m => Assert.Equal("gramian", Assert.Throws<ArgumentNullException>(() => m.ComputeWeights(null!)).ParamName));
    }

    [Theory]
    [MemberData(nameof(PaperPropertyTests.LargeCases), MemberType = typeof(PaperPropertyTests))]
    [MemberData(nameof(PaperPropertyTests.Cases), MemberType = typeof(PaperPropertyTests))]
    public void The_alpha_fair_roots_of_FairGrad_and_NashMtl_have_KKT_residuals_at_round_off(string name, double[,] gradients)
    {
        var gramian = Gramian.FromGradients(gradients);
        if (new Mgda().ComputeWeights(gramian) is var mgda && gramian.QuadraticForm(mgda) <= 1e-6 * gramian.LargestEigenvalue)
            return; // Pareto-stationary: no root (the regularised answer is covered by the property suite).
        // Nash-MTL: (M/‖M‖_F)·α = 1/α.
        var frobenius = Math.Sqrt(Enumerable.Range(0, gramian.TaskCount).Sum(i => Enumerable.Range(0, gramian.TaskCount).Sum(j => gramian[i, j] * gramian[i, j])));
        var nash = new NashMtl(maxNorm: 0).ComputeWeights(gramian);
        var mNash = gramian.Multiply(nash);
        for (var i = 0; i < nash.Length; i++)
            Assert.True(Math.Abs((mNash[i] / frobenius) - (1 / nash[i])) <= 1e-8 / nash[i], $"{name}: Nash-MTL residual {(mNash[i] / frobenius * nash[i]) - 1:E2} at task {i}");
        foreach (var alpha in new[] { 0.5, 1.0, 3.0 })
        {
            var w = new FairGrad(alpha).ComputeWeights(gramian);
            var mw = gramian.Multiply(w);
            for (var i = 0; i < w.Length; i++)
            {
                Assert.True(w[i] > 0, $"{name}: weight {i} is not positive");
                var target = Math.Pow(w[i], -1 / alpha);
                Assert.True(Math.Abs(mw[i] - target) <= 1e-8 * target, $"{name}, α={alpha}: residual {(mw[i] - target) / target:E2} at task {i}");
            }
        }
    }

    [Fact]
    public void The_alpha_fair_solver_converges_in_few_Newton_steps_at_any_scale()
    {
        foreach (var scale in new[] { 1e-10, 1.0, 1e15 })
        {
            var m = Gramian.FromGradients(Properties.SuiteCases.Scaled(GradientCases.Conflicting(16, 3), scale)).ToArray();
            AlphaFairSystem.Solve(m, 1, out var iterations);
            Assert.InRange(iterations, 1, 30);
        }
        Assert.Equal(new double[3], AlphaFairSystem.Solve(new double[3, 3], 1, out _));
        // Pareto- but not strongly stationary inputs (a zero row; an opposite pair beside a third task:
        // no root without the regularisation) still converge well within the cap. Strongly stationary
        // ones may spend the whole cap in round-off (their weights reach ~1e9 at α = 4); the property
        // suite checks their update is finite and tiny.
        foreach (var (name, gradients) in Properties.SuiteCases.NotStronglyStationary())
        {
            foreach (var alpha in new[] { 0.5, 1.0, 4.0 })
            {
                AlphaFairSystem.Solve(Gramian.FromGradients(gradients).ToArray(), alpha, out var iterations);
                Assert.True(iterations < 60, $"{name}, α={alpha}: {iterations} Newton steps");
            }
        }
    }

    [Fact]
    public void NashMtl_reuses_its_weights_between_recomputations_and_resets()
    {
        var first = Gramian.FromGradients(GradientCases.Random(3, 1));
        var second = Gramian.FromGradients(GradientCases.Conflicting(3, 2));
        var nash = new NashMtl(updateWeightsEvery: 2, maxNorm: 0);
        var a = nash.ComputeWeights(first);
        Assert.Equal(a, nash.ComputeWeights(second)); // reused
        Assert.Equal(new NashMtl(maxNorm: 0).ComputeWeights(second), nash.ComputeWeights(second)); // recomputed
        nash.Reset();
        Assert.Equal(a, nash.ComputeWeights(first));
        var e = Assert.Throws<ArgumentException>(() => nash.ComputeWeights(Gramian.FromGradients(GradientCases.Random(4, 1))));
        Assert.Contains("call Reset()", e.Message);
        // The cap applies to the current gradients even when the weights are reused.
        var capped = new NashMtl(updateWeightsEvery: 5, maxNorm: 1e-3);
        capped.ComputeWeights(first);
        Assert.Equal(1e-3, Math.Sqrt(second.QuadraticForm(capped.ComputeWeights(second))), 12);
    }

    [Fact]
    public void GradVac_and_CRMogm_keep_their_state_per_task_count_and_reset_it()
    {
        var three = Gramian.FromGradients(GradientCases.Conflicting(3, 2));
        var gradvac = new GradVac(seed: 1);
        var first = gradvac.ComputeWeights(three);
        Assert.NotEqual(first, gradvac.ComputeWeights(three)); // the targets moved
        Assert.Contains("call Reset()", Assert.Throws<ArgumentException>(() => gradvac.ComputeWeights(Gramian.FromGradients(GradientCases.Random(4, 1)))).Message);
        gradvac.Reset();
        Assert.Null(gradvac.TargetCosines);
        Assert.Equal(first, gradvac.ComputeWeights(three));
        var smoothed = new CRMogm(new Mean());
        smoothed.ComputeWeights(three);
        Assert.Contains("call Reset()", Assert.Throws<ArgumentException>(() => smoothed.ComputeWeights(Gramian.FromGradients(GradientCases.Random(4, 1)))).Message);
    }

    [Fact]
    public void GradVac_with_beta_zero_is_PCGrad_without_the_self_visit()
    {
        foreach (var seed in new[] { 1, 2 })
        {
            var gramian = Gramian.FromGradients(GradientCases.Conflicting(5, seed));
            var gradvac = new GradVac(0, PCGradTaskOrder.Fixed);
            var pcgrad = new PCGrad(order: PCGradTaskOrder.Fixed);
            for (var step = 0; step < 3; step++)
                Assert.Equal(pcgrad.ComputeWeights(gramian), gradvac.ComputeWeights(gramian), new ToleranceComparer(1e-12));
        }
    }
}
