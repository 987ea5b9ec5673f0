using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace GradSurgery.Tests.LossWeightings;

/// <summary>Small cases worked by hand from each paper's equations: terms, their gradients with respect to the losses, and the weights reported.</summary>
public class LossWeightingHandWorkedTests
{
    private const double Tight = 1e-12;

    private static void Near(double[] expected, IReadOnlyList<double> actual, double tolerance = Tight)
    {
        Assert.Equal(expected.Length, actual.Count);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"entry {i}: expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void Uncertainty_weighting_halves_the_loss_over_the_variance_and_adds_half_the_log_variance()
    {
        var uw = new UncertaintyWeighting(2, dtype: ScalarType.Float64);
        var (terms, gradients, weights) = LossLeaves.Run(uw, 2, 8);
        // s = −0.5: termₜ = Lₜ·e^0.5/2 − 0.25, ∂termₜ/∂Lₜ = e^0.5/2.
        var w = Math.Exp(0.5) / 2;
        Near([(2 * w) - 0.25, (8 * w) - 0.25], terms);
        Near([w, w], gradients);
        Near([w, w], weights);
    }

    [Fact]
    public void Uncertainty_weighting_log_variances_get_the_gradient_half_minus_half_the_scaled_loss()
    {
        using var scope = NewDisposeScope();
        var uw = new UncertaintyWeighting(2, initialLogVariance: 0, dtype: ScalarType.Float64);
        var weighted = uw.Weigh(LossLeaves.Of(3, 0.5), [3, 0.5]);
        (weighted.Terms[0] + weighted.Terms[1]).backward();
        // ∂/∂s (L·e^(−s)/2 + s/2) = (1 − L·e^(−s))/2 at s = 0.
        Near([(1 - 3.0) / 2, (1 - 0.5) / 2], uw.LogVariances.grad!.data<double>().ToArray());
    }

    [Fact]
    public void Imtl_l_scales_each_loss_by_exp_s_and_subtracts_s()
    {
        using var scope = NewDisposeScope();
        var imtl = new ImtlL(2, dtype: ScalarType.Float64);
        imtl.LoadStateDict(new Dictionary<string, double[]> { ["log_scales"] = [0, Math.Log(2)] });
        var (terms, gradients, weights) = LossLeaves.Run(imtl, 3, 5);
        Near([3, 10 - Math.Log(2)], terms);
        Near([1, 2], gradients);
        Near([1, 2], weights);
        // ∂/∂s (e^s·L − s) = e^s·L − 1: zero where the scaled loss is 1.
        Near([3 - 1, 10 - 1], imtl.LogScales.grad!.data<double>().ToArray());
    }

    [Fact]
    public void Dwa_weights_are_one_for_two_epochs_then_T_softmax_of_the_loss_ratios_over_the_temperature()
    {
        var dwa = new Dwa(2);
        Near([1, 1], LossLeaves.Weights(dwa, 1, 1));
        dwa.EndEpoch();
        Near([1, 1], LossLeaves.Weights(dwa, 0.5, 0.9));
        dwa.EndEpoch();
        // Ratios (0.5/1, 0.9/1) over temperature 2: 2·softmax(0.25, 0.45).
        var (_, gradients, weights) = LossLeaves.Run(dwa, 7, 7);
        var expected = new[] { 2 / (1 + Math.Exp(0.2)), 2 * Math.Exp(0.2) / (1 + Math.Exp(0.2)) };
        Near(expected, weights);
        Near(expected, gradients);
    }

    [Fact]
    public void Dwa_epoch_means_average_every_call_of_the_epoch()
    {
        var dwa = new Dwa(2, temperature: 1);
        LossLeaves.Weights(dwa, 1, 4);
        LossLeaves.Weights(dwa, 3, 4);
        dwa.EndEpoch();
        LossLeaves.Weights(dwa, 1, 2);
        dwa.EndEpoch();
        // Means (2, 4) then (1, 2): ratios (0.5, 0.5), equal weights.
        Near([1, 1], LossLeaves.Weights(dwa, 1, 1));
    }

    [Fact]
    public void Gls_is_the_geometric_mean_and_weighs_each_loss_by_gm_over_T_L()
    {
        var (terms, gradients, weights) = LossLeaves.Run(new Gls(), 1, 4);
        Assert.Equal(2, terms.Sum(), 12);
        Near([1, 0.25], gradients);
        Near([1, 0.25], weights);
        var (threeTerms, threeGradients, _) = LossLeaves.Run(new Gls(), 2, 4, 8);
        Assert.Equal(4, threeTerms.Sum(), 12);
        Near([4 / 6.0, 4 / 12.0, 4 / 24.0], threeGradients);
    }

    [Fact]
    public void Random_loss_weighting_draws_the_gradient_rlw_weights_for_the_same_seed()
    {
        var losses = new RandomLossWeighting(seed: 11);
        var gradients = new Rlw(seed: 11);
        var gramian = new Gramian(new double[,] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } });
        for (var step = 0; step < 5; step++)
        {
            var (_, autograd, weights) = LossLeaves.Run(losses, 1, 2, 3);
            var expected = gradients.ComputeWeights(gramian);
            Near(expected, weights);
            Near(expected, autograd);
            Assert.Equal(1, weights.Sum(), 12);
        }
    }

    [Fact]
    public void Stch_warms_up_on_log_losses_then_smooths_the_maximum_of_the_nadir_normalised_log_losses()
    {
        var stch = new Stch(2, mu: 1, warmupEpochs: 0);
        // Nadir epoch: plain log losses, weights 1/L.
        var (_, warmGradients, _) = LossLeaves.Run(stch, 2, 4);
        Near([1 / (2 + Stch.Offset), 1 / (4 + Stch.Offset)], warmGradients);
        LossLeaves.Run(stch, 4, 4);
        stch.EndEpoch();
        Near([3, 4], stch.Nadir!);
        // ℓ = (log 2, log 1): p = softmax(ℓ) = (2/3, 1/3); termₜ = 2·pₜ·ℓₜ, ∂termₜ/∂Lₜ = 2·pₜ/Lₜ.
        var (terms, gradients, weights) = LossLeaves.Run(stch, 6, 4);
        Near([2 * (2 / 3.0) * Math.Log(2), 0], terms, 1e-12);
        Near([2 * (2 / 3.0) / 6, 2 * (1 / 3.0) / 4], gradients, 1e-12);
        Near(gradients, weights, 1e-12);
    }

    [Fact]
    public void Stch_gradient_is_the_gradient_of_T_mu_log_sum_exp()
    {
        using var scope = NewDisposeScope();
        var stch = new Stch(3, mu: 0.3, warmupEpochs: 1);
        LossLeaves.Run(stch, 1, 1, 1);
        stch.EndEpoch();
        LossLeaves.Run(stch, 2, 0.5, 3);
        LossLeaves.Run(stch, 4, 1.5, 1);
        stch.EndEpoch();
        double[] values = [2.5, 0.25, 1.75];
        var (_, gradients, _) = LossLeaves.Run(stch, values);
        var leaves = LossLeaves.Of(values);
        var nadir = stch.Nadir!;
        var normalised = torch.stack(leaves.Select((l, t) => (l / nadir[t]).log()).ToArray());
        (3 * 0.3 * torch.logsumexp(normalised / 0.3, 0)).backward();
        Near([.. leaves.Select(l => l.grad!.item<double>())], gradients, 1e-12);
    }

    [Fact]
    public void Famo_weighs_by_c_z_over_L_and_moves_the_logits_against_the_task_that_improved_most()
    {
        var famo = new Famo(2);
        // z = (½, ½), c = 1/(½/1 + ½/4) = 1.6: weights c·z/L = (0.8, 0.2).
        var (terms, gradients, weights) = LossLeaves.Run(famo, 1, 4);
        Near([0.8, 0.2], gradients, 1e-7);
        Near([0.8, 0.2], weights, 1e-7);
        Near([0.8 * Math.Log(1 + Famo.Offset), 0.8 * Math.Log(4 + Famo.Offset)], terms, 1e-7);
        famo.AfterStep();
        LossLeaves.Weights(famo, 0.5, 4);
        // δ = (log 2, 0); ∇ξ = z⊙(δ − zᵀδ) = (log 2/4, −log 2/4); Adam's first step is lr·sign: ξ = (−0.025, 0.025).
        var g = Math.Log(2) / 4;
        var step = 0.025 * g / (g + 1e-8);
        var expected = Math.Exp(step) / (Math.Exp(-step) + Math.Exp(step));
        Near([1 - expected, expected], famo.TaskWeights, 1e-9);
    }

    [Fact]
    public void Famo_updates_once_per_step_from_the_mean_of_the_step_micro_batches()
    {
        var famo = new Famo(2);
        LossLeaves.Weights(famo, 1, 1);
        LossLeaves.Weights(famo, 0.1, 1);
        Near([0.5, 0.5], famo.TaskWeights);
        // Before = mean (0.55, 1); after (0.5, 1): task 0 improved, so it loses weight.
        famo.AfterStep();
        LossLeaves.Weights(famo, 0.5, 1);
        var afterOne = famo.TaskWeights.ToArray();
        LossLeaves.Weights(famo, 0.01, 1);
        Near(afterOne, famo.TaskWeights);
        Assert.True(afterOne[0] < 0.5);
    }

    [Fact]
    public void Famo_observe_uses_the_same_batch_after_the_step_and_the_next_weigh_does_not_update_again()
    {
        var famo = new Famo(2);
        LossLeaves.Weights(famo, 1, 4);
        famo.AfterStep();
        famo.Observe([0.5, 4]);
        Assert.Throws<InvalidOperationException>(() => famo.Observe([1, 1]));
        var observed = famo.TaskWeights.ToArray();
        LossLeaves.Weights(famo, 0.01, 4);
        Near(observed, famo.TaskWeights);
        var twin = new Famo(2);
        LossLeaves.Weights(twin, 1, 4);
        twin.AfterStep();
        LossLeaves.Weights(twin, 0.5, 4);
        Near(observed, twin.TaskWeights, 1e-15);
    }

    [Fact]
    public void Losses_of_different_dtypes_are_weighed_together_in_float64()
    {
        using var scope = NewDisposeScope();
        var single = torch.tensor(2f).requires_grad_();
        var wide = torch.tensor(4.0, dtype: ScalarType.Float64).requires_grad_();
        var weighted = new Gls().Weigh([single, wide], [2, 4]);
        Assert.Equal(ScalarType.Float64, weighted.Terms[0].dtype);
        (weighted.Terms[0] + weighted.Terms[1]).backward();
        Assert.Equal(Math.Sqrt(8) / 4, single.grad!.item<float>(), 6);
        Assert.Equal(Math.Sqrt(8) / 8, wide.grad!.item<double>(), 12);
    }

    [Fact]
    public void A_term_reaches_only_its_own_loss()
    {
        using var scope = NewDisposeScope();
        var leaves = LossLeaves.Of(1, 2, 3);
        var weighted = new Famo(3).Weigh(leaves, [1, 2, 3]);
        weighted.Terms[1].backward();
        Assert.Null(leaves[0].grad);
        Assert.NotNull(leaves[1].grad);
        Assert.Null(leaves[2].grad);
    }

    [Fact]
    public void Log_losses_differentiate_to_one_over_L()
    {
        var (terms, gradients, weights) = LossLeaves.Run(new LogLosses(), 1, 0.25);
        Near([Math.Log(1 + LogLosses.Offset), Math.Log(0.25 + LogLosses.Offset)], terms);
        Near([1 / (1 + LogLosses.Offset), 1 / (0.25 + LogLosses.Offset)], gradients);
        Near(gradients, weights);
    }

    [Fact]
    public void GradNorm_gradient_is_the_sign_of_the_norm_gap_times_the_layer_gradient_norm()
    {
        using var scope = NewDisposeScope();
        var layer = new TorchSharp.Modules.Parameter(torch.ones(2, dtype: ScalarType.Float32));
        var gradNorm = new GradNorm(2, [layer]);
        // L₀ = p₀² (‖∇‖ = 2), L₁ = 4p₁² (‖∇‖ = 8) at p = (1, 1): first call, rates 1, targets Ḡ = 5.
        var losses = new List<Tensor> { layer[0].square(), 4 * layer[1].square() };
        var weighted = gradNorm.Weigh(losses, [1, 4]);
        Near([-2, 8], gradNorm.Weights.grad!.to_type(ScalarType.Float64).data<double>().ToArray());
        Near([1, 4], weighted.Terms.Select(x => x.item<float>() * 1.0).ToArray());
        Near([1, 4], gradNorm.InitialLosses!);
        // Later: L = (0.5, 4): L̃ = (0.5, 1), r = (2/3, 4/3); α = 1.5, Ḡ = 5 with w = 1.
        layer.grad = null;
        gradNorm.Weights.grad = null;
        var later = new List<Tensor> { 0.5 * layer[0].square(), 4 * layer[1].square() };
        gradNorm.Weigh(later, [0.5, 4]);
        var g0 = 1.0;
        var target0 = 4.5 * Math.Pow(2 / 3.0, 1.5);
        var target1 = 4.5 * Math.Pow(4 / 3.0, 1.5);
        Near([Math.Sign(g0 - target0) * 1.0, Math.Sign(8 - target1) * 8.0], gradNorm.Weights.grad!.to_type(ScalarType.Float64).data<double>().ToArray(), 1e-6);
    }

    [Theory]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void GradNorm_takes_half_precision_layer_gradient_norms_beyond_float16s_range(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        // ∇_W L₀ = 3072 and ∇_W L₁ = 1024 in each of 1024 entries (exact in both dtypes): ‖∇‖ = 3072·32 = 98304
        // (above float16's 65504) and 32768. First call: rates 1, Ḡ = 65536, so the signs are (+, −).
        var layer = new TorchSharp.Modules.Parameter(torch.full(1024, 1e-3, dtype: dtype));
        var gradNorm = new GradNorm(2, [layer]);
        var losses = new List<Tensor> { (3072 * layer).sum(), (1024 * layer).sum() };
        gradNorm.Weigh(losses, [3, 1]);
        Near([98304, -32768], gradNorm.Weights.grad!.to_type(ScalarType.Float64).data<double>().ToArray(), 1e-6);
    }

    [Fact]
    public void GradNorm_takes_float64_layer_gradient_norms_in_float64()
    {
        using var scope = NewDisposeScope();
        // ‖∇L₀‖ = 1 + 2⁻³⁰ and ‖∇L₁‖ = 1: equal in float32, so only norms taken in float64 order them.
        // First call: rates 1, Ḡ = 1 + 2⁻³¹, so the gradient is (+‖∇L₀‖, −‖∇L₁‖) = (1, −1) in float32
        // weights; norms rounded to float32 would give G₀ = G₁ = Ḡ and a zero gradient.
        var layer = new TorchSharp.Modules.Parameter(torch.ones(1, dtype: ScalarType.Float64));
        var gradNorm = new GradNorm(2, [layer]);
        var losses = new List<Tensor> { ((1 + Math.Pow(2, -30)) * layer).sum(), layer.sum() };
        gradNorm.Weigh(losses, [1, 1]);
        Near([1, -1], gradNorm.Weights.grad!.to_type(ScalarType.Float64).data<double>().ToArray());
    }

    [Fact]
    public void GradNorm_renormalises_the_weights_to_sum_T_after_a_step()
    {
        var layer = new TorchSharp.Modules.Parameter(torch.ones(2));
        var gradNorm = new GradNorm(2, [layer]);
        gradNorm.LoadStateDict(new Dictionary<string, double[]> { ["weights"] = [1, 3], ["initial_losses"] = [] });
        gradNorm.AfterStep();
        Near([0.5, 1.5], gradNorm.StateDict()["weights"], 1e-7);
        gradNorm.LoadStateDict(new Dictionary<string, double[]> { ["weights"] = [1, -1], ["initial_losses"] = [] });
        var error = Assert.Throws<InvalidOperationException>(gradNorm.AfterStep);
        Assert.Contains("sum to 0", error.Message, StringComparison.Ordinal);
    }
}
