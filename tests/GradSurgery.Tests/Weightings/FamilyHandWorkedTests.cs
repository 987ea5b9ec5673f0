using System;
using System.Linq;
using Xunit;

namespace GradSurgery.Tests.Weightings;

/// <summary>
/// The method family on gradients small enough to solve by hand: g₁ = (1, 0), g₂ = (0, 2) unless said
/// otherwise (orthogonal, norms 1 and 2, M = diag(1, 4)).
/// </summary>
public class FamilyHandWorkedTests
{
    private static readonly double[,] Orthogonal = { { 1, 0 }, { 0, 2 } };

    private static double[] Weights(IGramianWeighting method, double[,] gradients) => method.ComputeWeights(Gramian.FromGradients(gradients));

    private static void AssertWeights(double[] expected, double[] actual, int digits = 12)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], actual[i], digits);
    }

    [Fact]
    public void ImtlG_equalises_the_projections_with_weights_summing_to_one()
    {
        // d = a·g₁ + b·g₂ = (a, 2b), a + b = 1, d·u₁ = d·u₂ ⇒ a = 2b ⇒ (2/3, 1/3), d = (2/3, 2/3).
        AssertWeights([2.0 / 3, 1.0 / 3], Weights(new ImtlG(), Orthogonal));
        // Two opposite gradients: no update with Σw = 1 has equal projections; zero weights.
        AssertWeights([0, 0], Weights(new ImtlG(), new double[,] { { 1, 0 }, { -1, 0 } }));
    }

    [Fact]
    public void NashMtl_solves_the_bargaining_equation_and_clips_the_update()
    {
        // M/‖M‖_F = diag(1, 4)/√17, so αₜ = 1/√(Mₜₜ/√17): α = 17^¼·(1, ½), d = 17^¼·(1, 1).
        var root = Math.Pow(17, 0.25);
        AssertWeights([root, root / 2], Weights(new NashMtl(maxNorm: 0), Orthogonal), 10);
        // ‖d‖ = 17^¼·√2 ≈ 2.87 > 1: scaled to norm 1.
        var scale = 1 / (root * Math.Sqrt(2));
        AssertWeights([root * scale, root / 2 * scale], Weights(new NashMtl(), Orthogonal), 10);
    }

    [Fact]
    public void FairGrad_solves_M_w_equals_w_to_the_minus_one_over_alpha()
    {
        // α = 1: wₜ = 1/√Mₜₜ = (1, ½). α = 2: w₁ = w₁^(−½) ⇒ 1; 4w₂ = w₂^(−½) ⇒ w₂ = 4^(−2/3).
        AssertWeights([1, 0.5], Weights(new FairGrad(), Orthogonal), 10);
        AssertWeights([1, Math.Pow(4, -2.0 / 3)], Weights(new FairGrad(2), Orthogonal), 10);
        // α = ½: 4w₂ = w₂^(−2) ⇒ w₂ = 4^(−1/3).
        AssertWeights([1, Math.Pow(4, -1.0 / 3)], Weights(new FairGrad(0.5), Orthogonal), 10);
    }

    [Fact]
    public void ConFig_takes_equal_cosines_and_sums_the_projections()
    {
        // Units e₁, e₂: x = (1, 1), û = (1, 1)/√2, Σ gₜ·û = 3/√2, d = (3/2, 3/2) = 3/2·g₁ + 3/4·g₂.
        AssertWeights([1.5, 0.75], Weights(new ConFig(), Orthogonal));
        // A zero gradient has a zero unit row and no say in the direction: d = (Σ gₜ·û)·û = g₁.
        AssertWeights([1, 0], Weights(new ConFig(), new double[,] { { 1, 0 }, { 0, 0 } }));
    }

    [Fact]
    public void Krum_scores_by_nearest_neighbours_and_breaks_ties_by_index()
    {
        // (0, 0), (1, 0), (10, 0), f = 0: one neighbour each; scores 1, 1, 81: tie between 0 and 1.
        var g = new double[,] { { 0, 0 }, { 1, 0 }, { 10, 0 } };
        AssertWeights([1, 0, 0], Weights(new Krum(0), g));
        AssertWeights([0.5, 0.5, 0], Weights(new Krum(0, 2), g));
        var tooFew = Assert.Throws<ArgumentException>(() => new Krum(1).ComputeWeights(Gramian.FromGradients(g)));
        Assert.Equal("Krum with f = 1 needs at least f + 3 = 4 tasks; got 3. (Parameter 'gramian')", tooFew.Message);
        Assert.Equal("Krum cannot select k = 4 of 3 tasks. (Parameter 'gramian')", Assert.Throws<ArgumentException>(() => new Krum(0, 4).ComputeWeights(Gramian.FromGradients(g))).Message);
    }

    [Fact]
    public void GradVac_first_step_is_PCGrad_and_later_steps_reach_the_target_cosine()
    {
        // g₁ = (1, 0), g₂ = (−1, 1): cos = −1/√2 < 0 = φ̂, so g₁′ = g₁ + ½·g₂ (PCGrad's projection).
        var g = new double[,] { { 1, 0 }, { -1, 1 } };
        var gradvac = new GradVac(order: PCGradTaskOrder.Fixed);
        var pcgrad = new PCGrad(order: PCGradTaskOrder.Fixed);
        AssertWeights(Weights(pcgrad, g), Weights(gradvac, g));
        // φ̂ is now ½·(−1/√2) for both pairs; the next step lifts each cosine exactly to it.
        var target = gradvac.TargetCosines![0, 1];
        Assert.Equal(-0.5 / Math.Sqrt(2), target, 14);
        var phi = -1 / Math.Sqrt(2);
        var s0 = AdjustmentOf(target, phi, 1, Math.Sqrt(2)); // coefficient of g₂ in g₁′
        var s1 = AdjustmentOf(target, phi, Math.Sqrt(2), 1); // coefficient of g₁ in g₂′
        AssertWeights([1 + s1, 1 + s0], Weights(gradvac, g));
        var adjusted = Literal.Vectors.Add([1, 0], [-1, 1], s0);
        Assert.Equal(target, Literal.Vectors.Dot(adjusted, [-1, 1]) / (Literal.Vectors.Norm(adjusted) * Math.Sqrt(2)), 12);
    }

    /// <summary>The paper's coefficient of gⱼ that lifts cos(gᵢ′, gⱼ) from φ to φ̂.</summary>
    private static double AdjustmentOf(double target, double phi, double norm, double otherNorm) =>
        norm * ((target * Math.Sqrt(1 - (phi * phi))) - (phi * Math.Sqrt(1 - (target * target)))) / (otherNorm * Math.Sqrt(1 - (target * target)));

    [Fact]
    public void Rlw_draws_a_softmax_of_normals_repeatably()
    {
        var gramian = Gramian.FromGradients(GradientCases.Random(4, 1));
        var rlw = new Rlw(3);
        var draws = Enumerable.Range(0, 2000).Select(_ => rlw.ComputeWeights(gramian)).ToArray();
        Assert.All(draws, w => Assert.Equal(1, w.Sum(), 12));
        Assert.All(draws, w => Assert.All(w, x => Assert.True(x > 0)));
        Assert.Contains(draws, w => !w.SequenceEqual(draws[0]));
        // Exchangeable: each task's mean weight is 1/T (standard error ≈ 0.004 at 2000 draws).
        for (var t = 0; t < 4; t++)
            Assert.InRange(draws.Average(w => w[t]), 0.25 - 0.02, 0.25 + 0.02);
        rlw.Reset();
        Assert.Equal(draws[0], rlw.ComputeWeights(gramian));
        Assert.Equal(draws[0], new Rlw(3).ComputeWeights(gramian));
    }

    [Fact]
    public void Constant_returns_its_weights_for_the_matching_task_count()
    {
        var constant = new Constant([0.5, 2]);
        AssertWeights([0.5, 2], Weights(constant, Orthogonal));
        Assert.Equal([0.5, 2], constant.Weights);
        var e = Assert.Throws<ArgumentException>(() => constant.ComputeWeights(Gramian.FromGradients(GradientCases.Random(3, 1))));
        Assert.Equal("Constant was given 2 task weights for 3 tasks. (Parameter 'gramian')", e.Message);
    }

    [Fact]
    public void CRMogm_averages_the_inner_weights_from_the_first_call_on()
    {
        var gramian = Gramian.FromGradients(GradientCases.Random(3, 1));
        var inner = new Rlw(8);
        var w1 = inner.ComputeWeights(gramian);
        var w2 = inner.ComputeWeights(gramian);
        var w3 = inner.ComputeWeights(gramian);
        var smoothed = new CRMogm(new Rlw(8), beta: 0.75);
        AssertWeights(w1, smoothed.ComputeWeights(gramian));
        var a2 = w1.Zip(w2, (a, b) => (0.75 * a) + (0.25 * b)).ToArray();
        AssertWeights(a2, smoothed.ComputeWeights(gramian));
        AssertWeights(a2.Zip(w3, (a, b) => (0.75 * a) + (0.25 * b)).ToArray(), smoothed.ComputeWeights(gramian));
        Assert.Equal("CR-MOGM(RLW)", smoothed.Name);
        smoothed.Reset();
        AssertWeights(w1, smoothed.ComputeWeights(gramian));
        AssertWeights(w1, new CRMogm(new Rlw(8), beta: 0).ComputeWeights(gramian));
    }
}
