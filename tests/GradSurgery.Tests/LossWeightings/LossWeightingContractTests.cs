using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace GradSurgery.Tests.LossWeightings;

/// <summary>
/// The loss weightings' contracts the mutation run of issue #16 found unpinned: the shared helpers
/// (WeightedLosses, LossVector, StateArrays, LossScales' device check) and their messages, the offsets at
/// a loss of exactly 0, the state flags, and the boundaries of each method's own validation.
/// </summary>
public class LossWeightingContractTests
{
    private static Parameter Layer() => LossWeightingFactories.Layer();

    [Fact]
    public void One_task_is_a_valid_count_and_trainable_scales_live_on_the_given_device()
    {
        Assert.Equal(1, new UncertaintyWeighting(1).TaskCount);
        Assert.Equal(1, new Dwa(1).TaskCount);
        Assert.Equal(DeviceType.META, new UncertaintyWeighting(2, device: torch.META).Parameters[0].device_type);
        Assert.Equal(DeviceType.CPU, new ImtlL(2).Parameters[0].device_type);
        Assert.Null(new Stch(2).Nadir);
        Assert.Equal("layer", Assert.Throws<ArgumentNullException>(() => new GradNorm(2, null!)).ParamName);
    }

    [Fact]
    public void Weighted_losses_need_one_term_and_one_weight_per_task()
    {
        using var scope = NewDisposeScope();
        var term = torch.ones(1);
        Assert.Equal("terms", Assert.Throws<ArgumentNullException>(() => new WeightedLosses(null!, [1.0])).ParamName);
        Assert.Equal("weights", Assert.Throws<ArgumentNullException>(() => new WeightedLosses([term], null!)).ParamName);
        var empty = Assert.Throws<ArgumentException>(() => new WeightedLosses([], []));
        Assert.StartsWith("A loss weighting must give one term and one weight per task; got 0 terms and 0 weights.", empty.Message, StringComparison.Ordinal);
        var mismatch = Assert.Throws<ArgumentException>(() => new WeightedLosses([term, term], [1.0]));
        Assert.StartsWith("A loss weighting must give one term and one weight per task; got 2 terms and 1 weights.", mismatch.Message, StringComparison.Ordinal);
        Assert.Equal("weights", mismatch.ParamName);
    }

    [Fact]
    public void The_total_of_explicit_terms_is_their_sum()
    {
        using var scope = NewDisposeScope();
        var weighted = new WeightedLosses([torch.tensor(1.0), torch.tensor(2.0), torch.tensor(4.0)], [1.0, 1, 1]);
        Assert.Equal(7, weighted.Total().item<double>());
        Assert.Equal(7, weighted.LinearisedTotal([5, 6, 7]).item<double>()); // explicit terms are kept
    }

    [Fact]
    public void Linearised_terms_are_the_weighted_shard_losses_plus_the_formula_at_the_global_losses()
    {
        using var scope = NewDisposeScope();
        // log(L + ε) weighed at L = (1, 0.25): wₜ = 1/(Lₜ + ε). At global losses (2, 0.5) the terms are
        // wₜ·Lₜ + log(L̄ₜ + ε), their total the sum.
        var leaves = LossLeaves.Of(1, 0.25);
        var weighted = new LogLosses().Weigh(leaves, [1, 0.25]);
        var terms = weighted.LinearisedTerms([2, 0.5]);
        double[] w = [1 / (1 + LogLosses.Offset), 1 / (0.25 + LogLosses.Offset)];
        double[] expected = [(w[0] * 1) + Math.Log(2 + LogLosses.Offset), (w[1] * 0.25) + Math.Log(0.5 + LogLosses.Offset)];
        Assert.Equal(expected[0], terms[0].item<double>(), 14);
        Assert.Equal(expected[1], terms[1].item<double>(), 14);
        var total = weighted.LinearisedTotal([2, 0.5]);
        Assert.Equal(expected.Sum(), total.item<double>(), 14);
        total.backward();
        Assert.Equal(w[0], leaves[0].grad!.item<double>(), 14);
        Assert.Equal(w[1], leaves[1].grad!.item<double>(), 14);
    }

    [Fact]
    public void Losses_on_different_devices_cannot_be_stacked()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => LossVector.Stack([torch.ones(1), torch.ones(1, device: torch.META)]));
        Assert.StartsWith("The losses are on different devices (cpu, meta)", error.Message, StringComparison.Ordinal);
        Assert.Equal("losses", error.ParamName);
    }

    [Theory]
    [InlineData("UW")]
    [InlineData("IMTL-L")]
    [InlineData("GradNorm")]
    public void Trainable_scales_reject_losses_on_another_device(string name)
    {
        using var scope = NewDisposeScope();
        var weighting = LossWeightingFactories.Create(name, Layer());
        var losses = new List<Tensor> { torch.ones(1), torch.ones(1, device: torch.META), torch.ones(1) };
        var error = Assert.Throws<ArgumentException>(() => weighting.Weigh(losses, [1, 1, 1]));
        Assert.StartsWith($"{name}'s parameters are on cpu, loss 1 on meta: create the weighting with device: the model's device.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void State_arrays_are_checked_with_messages_that_name_the_method_and_key()
    {
        var missing = Assert.Throws<ArgumentException>(() => StateArrays.Read(new Dictionary<string, double[]> { ["k"] = null! }, "k", 2, "M"));
        Assert.StartsWith("The state has no \"k\": it was not saved by M.", missing.Message, StringComparison.Ordinal);
        Assert.StartsWith("M's \"k\" must hold 2 values; got 3.", Read([1, 2, 3]).Message, StringComparison.Ordinal);
        Assert.StartsWith("M's \"k\" holds NaN; state values must be finite.", Read([1, double.NaN]).Message, StringComparison.Ordinal);
        Assert.EndsWith("; state values must be finite. (Parameter 'state')", Read([double.PositiveInfinity, 1]).Message, StringComparison.Ordinal);
        var optional = Assert.Throws<ArgumentException>(() => StateArrays.ReadOptional(new Dictionary<string, double[]> { ["k"] = [1] }, "k", 2, "M"));
        Assert.StartsWith("M's \"k\" must hold 2 values or none; got 1.", optional.Message, StringComparison.Ordinal);
        Assert.Null(StateArrays.ReadOptional(new Dictionary<string, double[]> { ["k"] = [] }, "k", 2, "M"));
        var count = Assert.Throws<ArgumentException>(() => StateArrays.ReadCount(new Dictionary<string, double[]> { ["k"] = [1.5] }, "k", "M"));
        Assert.StartsWith("M's \"k\" must be a whole number ≥ 0; got 1.5.", count.Message, StringComparison.Ordinal);
        Assert.Equal(3, StateArrays.ReadCount(new Dictionary<string, double[]> { ["k"] = [3] }, "k", "M"));
        // 2⁶³ = (double)long.MaxValue does not fit in a long; the largest double below it does.
        Assert.Throws<ArgumentException>(() => StateArrays.ReadCount(new Dictionary<string, double[]> { ["k"] = [9223372036854775808.0] }, "k", "M"));
        Assert.Equal(9223372036854774784L, StateArrays.ReadCount(new Dictionary<string, double[]> { ["k"] = [9223372036854774784.0] }, "k", "M"));

        static ArgumentException Read(double[] values) =>
            Assert.Throws<ArgumentException>(() => StateArrays.Read(new Dictionary<string, double[]> { ["k"] = values }, "k", 2, "M"));
    }

    public static TheoryData<string, double> ZeroLossCases() => new()
    {
        { "log", 1 / LogLosses.Offset },
        { "STCH warm-up", 1 / Stch.Offset },
        { "STCH with a nadir", double.NaN },
        { "FAMO", double.NaN },
    };

    [Theory]
    [MemberData(nameof(ZeroLossCases))]
    public void At_a_loss_of_zero_the_offset_keeps_terms_finite_and_weights_equal_to_their_derivatives(string name, double expectedFirst)
    {
        // The offsets ε only matter where a loss is (near) 0: there log(L + ε) is finite and the weight
        // ∂term/∂L = 1/(L + ε) (times the method's scale) must still be what autograd finds.
        ILossWeighting weighting = name switch
        {
            "log" => new LogLosses(),
            "STCH warm-up" => new Stch(2),
            "STCH with a nadir" => StchWithNadir(2, 1),
            _ => new Famo(2),
        };
        var (terms, gradients, weights) = LossLeaves.Run(weighting, 0, 1);

        Assert.All(terms, x => Assert.True(double.IsFinite(x), $"{name}: term {x}"));
        for (var t = 0; t < 2; t++)
            Assert.True(Math.Abs(gradients[t] - weights[t]) <= 1e-9 * Math.Abs(gradients[t]), $"{name}, task {t}: autograd {gradients[t]:R}, reported {weights[t]:R}");
        if (!double.IsNaN(expectedFirst))
            Assert.Equal(1, weights[0] / expectedFirst, 12);
        if (name == "FAMO")
        {
            // z = (½, ½): the weights c·zₜ/(Lₜ + ε) with c = 1/Σ zₜ/(Lₜ + ε) are ≈ (1, 1e-8).
            Assert.Equal(1, weights[0], 7);
            Assert.Equal(1e-8, weights[1], 15);
        }
    }

    [Fact]
    public void Famo_reports_its_step_flag_and_checks_the_losses_after_the_step()
    {
        var famo = new Famo(2);
        Assert.Equal(new double[] { 0 }, famo.StateDict()["stepped"]);
        var before = Assert.Throws<InvalidOperationException>(() => famo.Observe([1, 1]));
        Assert.StartsWith("FAMO.Observe needs the losses before the step", before.Message, StringComparison.Ordinal);
        LossLeaves.Weights(famo, 1, 2);
        famo.AfterStep();
        Assert.Equal(new double[] { 1 }, famo.StateDict()["stepped"]);
        Assert.Equal("lossesAfterStep", Assert.Throws<ArgumentNullException>(() => famo.Observe(null!)).ParamName);
        Assert.StartsWith("FAMO was created for 2 tasks; got 3 losses after the step.", Assert.Throws<ArgumentException>(() => famo.Observe([1, 1, 1])).Message, StringComparison.Ordinal);
        foreach (var bad in new[] { double.NaN, double.PositiveInfinity, -1e-8, -1 })
        {
            var error = Assert.Throws<ArgumentException>(() => famo.Observe([1, bad]));
            Assert.StartsWith($"FAMO needs finite losses > −1e-8; loss 1 after the step is {bad}.", error.Message, StringComparison.Ordinal);
        }
        famo.Observe([1, 0]); // a loss of 0 after the step is fine
        Assert.Equal(new double[] { 0 }, famo.StateDict()["stepped"]);
        Assert.All(famo.StateDict()["logits"], x => Assert.True(double.IsFinite(x)));
        famo.AfterStep();
        famo.Reset();
        Assert.Equal(new double[] { 0 }, famo.StateDict()["stepped"]);
    }

    [Fact]
    public void Famo_learning_rate_and_weight_decay_of_zero_are_allowed()
    {
        Assert.Equal(0, new Famo(2, learningRate: 0).LearningRate);
        Assert.Equal(0, new Famo(2, weightDecay: 0).WeightDecay);
    }

    [Fact]
    public void Famo_decays_its_logits_with_the_weight_decay_from_the_mean_of_its_micro_batches()
    {
        // Logits ξ = (1, −1); two micro-batches with losses (3, 2) each, the same after the step: δ = 0, so
        // the logits' gradient is γ·ξ alone and Adam's first step moves each logit by lr against its sign
        // (lr·g/(|g| + 1e-8) with |g| = γ = 1e-3). Had the micro-batches not been averaged, δ would not be 0.
        const double LearningRate = 0.025;
        const double Decay = 1e-3;
        var famo = new Famo(2, learningRate: LearningRate, weightDecay: Decay);
        var state = famo.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        state["logits"] = [1, -1];
        famo.LoadStateDict(state);
        LossLeaves.Weights(famo, 3, 2);
        LossLeaves.Weights(famo, 3, 2);
        famo.AfterStep();
        famo.Observe([3, 2]);

        var step = LearningRate * Decay / (Decay + 1e-8);
        var logits = famo.StateDict()["logits"];
        Assert.Equal(1 - step, logits[0], 12);
        Assert.Equal(-1 + step, logits[1], 12);
    }

    [Fact]
    public void Famo_rejects_inconsistent_states_with_their_reason()
    {
        var famo = new Famo(2);
        var state = famo.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        state["stepped"] = [2];
        Assert.StartsWith("FAMO's \"stepped\" must be 0 or 1; got 2.", Assert.Throws<ArgumentException>(() => famo.LoadStateDict(state)).Message, StringComparison.Ordinal);
        state["stepped"] = [1];
        state["adam_moment2"] = [0, -1e-30];
        Assert.StartsWith("FAMO's \"adam_moment2\" must be ≥ 0.", Assert.Throws<ArgumentException>(() => famo.LoadStateDict(state)).Message, StringComparison.Ordinal);
        state["adam_moment2"] = [0, 0];
        state["losses_before_count"] = [1];
        Assert.StartsWith("FAMO's \"losses_before_sum\" and \"losses_before_count\" disagree.", Assert.Throws<ArgumentException>(() => famo.LoadStateDict(state)).Message, StringComparison.Ordinal);
        state["losses_before_count"] = [0];
        famo.LoadStateDict(state);
        Assert.Equal(new double[] { 1 }, famo.StateDict()["stepped"]);
    }

    [Fact]
    public void Stch_state_must_have_a_nadir_exactly_after_the_warm_up_and_a_positive_one()
    {
        var stch = new Stch(2, warmupEpochs: 2);
        var state = stch.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        state["epoch"] = [2];
        state["nadir"] = [1, 1];
        Assert.StartsWith("STCH's state at epoch 2 must not yet have a nadir point (warm-up of 2 epochs).", Assert.Throws<ArgumentException>(() => stch.LoadStateDict(state)).Message, StringComparison.Ordinal);
        state["epoch"] = [3];
        state["nadir"] = [];
        Assert.StartsWith("STCH's state at epoch 3 must have a nadir point (warm-up of 2 epochs).", Assert.Throws<ArgumentException>(() => stch.LoadStateDict(state)).Message, StringComparison.Ordinal);
        state["nadir"] = [1, 0];
        Assert.StartsWith("STCH's nadir point must be > 0.", Assert.Throws<ArgumentException>(() => stch.LoadStateDict(state)).Message, StringComparison.Ordinal);
        state["nadir"] = [1, 2];
        stch.LoadStateDict(state);
        Assert.Equal(new[] { 1.0, 2 }, stch.Nadir!);
    }

    [Fact]
    public void Dwa_averages_each_epoch_and_remembers_two_epochs()
    {
        var dwa = new Dwa(2);
        Assert.Equal(0, dwa.RememberedEpochs);
        LossLeaves.Weights(dwa, 1, 2);
        LossLeaves.Weights(dwa, 3, 6);
        dwa.EndEpoch();
        Assert.Equal(1, dwa.RememberedEpochs);
        Assert.Equal(new double[] { 2, 4 }, dwa.StateDict()["last_means"]);
        LossLeaves.Weights(dwa, 1, 1);
        dwa.EndEpoch();
        Assert.Equal(2, dwa.RememberedEpochs);
        Assert.Equal(new double[] { 2, 4 }, dwa.StateDict()["before_last_means"]);

        var state = dwa.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        state["last_means"] = [];
        var error = Assert.Throws<ArgumentException>(() => new Dwa(2).LoadStateDict(state));
        Assert.StartsWith("DWA's state has means two epochs back but none one epoch back.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dwa_gives_a_task_whose_loss_was_zero_two_epochs_back_the_ratio_one()
    {
        // Means (0, 1) two epochs back and (1, 1) one epoch back: task 0's ratio 1/0 is taken as 1, so both
        // ratios are 1 and the weights equal.
        var dwa = new Dwa(2);
        var state = dwa.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        state["last_means"] = [1, 1];
        state["before_last_means"] = [0, 1];
        dwa.LoadStateDict(state);
        Assert.Equal(new double[] { 1, 1 }, LossLeaves.Weights(dwa, 1, 1));
    }

    [Fact]
    public void GradNorm_checks_every_parameter_of_its_layer_and_its_saved_initial_losses()
    {
        var ok = Layer();
        Assert.Contains("null", Assert.Throws<ArgumentException>(() => new GradNorm(2, [ok, null!])).Message, StringComparison.Ordinal);
        var frozen = new Parameter(torch.ones(2), requires_grad: false);
        Assert.Contains("frozen", Assert.Throws<ArgumentException>(() => new GradNorm(2, [ok, frozen])).Message, StringComparison.Ordinal);
        var elsewhere = new Parameter(torch.ones(2, device: torch.META));
        Assert.StartsWith("GradNorm's layer is spread over several devices.", Assert.Throws<ArgumentException>(() => new GradNorm(2, [ok, elsewhere])).Message, StringComparison.Ordinal);
        Assert.Equal(2, new GradNorm(2, [ok, Layer()]).TaskCount);

        var gradNorm = new GradNorm(2, [ok]);
        Assert.Null(gradNorm.InitialLosses);
        var error = Assert.Throws<ArgumentException>(() => gradNorm.LoadStateDict(new Dictionary<string, double[]> { ["weights"] = [1, 1], ["initial_losses"] = [1, 0] }));
        Assert.StartsWith("GradNorm's \"initial_losses\" must be > 0.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GradNorm_targets_follow_the_relative_training_rates()
    {
        using var scope = NewDisposeScope();
        // L₀ = p₀², L₁ = p₁² at p = (1, 1): both layer gradients have norm 2, so Ḡ = 2 with w = 1. First call
        // at values (1, 4); then values (0.5, 4): L̃ = (0.5, 1), r = (2/3, 4/3), targets 2·r^1.5 = (1.09, 3.08):
        // task 0's norm is above its target, task 1's below: ∂L_grad/∂w = (+2, −2). Were the rates ignored,
        // both targets would be 2 and the gradient 0.
        var layer = new Parameter(torch.ones(2, dtype: ScalarType.Float64));
        var gradNorm = new GradNorm(2, [layer]);
        gradNorm.Weigh([layer[0].square(), layer[1].square()], [1, 4]);
        gradNorm.Weights.grad = null;
        gradNorm.Weigh([layer[0].square(), layer[1].square()], [0.5, 4]);
        Assert.Equal(new double[] { 2, -2 }, gradNorm.Weights.grad!.to_type(ScalarType.Float64).data<double>().ToArray());
        Assert.Equal(new[] { 1.0, 4 }, gradNorm.InitialLosses!);
    }

    [Fact]
    public void GradNorm_takes_every_rate_as_one_when_every_loss_is_zero_and_leaves_the_graph_for_the_backward()
    {
        using var scope = NewDisposeScope();
        // Values (0, 0) after the first call: every L̃ is 0, so rₜ = 1 and the targets are Ḡ = 5 (norms 2
        // and 8 from L₀ = (p₀·1)² − 1 and L₁ = (2p₁)² − 4, whose squares keep buffers for the backward).
        var layer = new Parameter(torch.ones(2, dtype: ScalarType.Float64));
        var gradNorm = new GradNorm(2, [layer]);
        gradNorm.Weigh([layer[0].square(), layer[1].square()], [1, 1]);
        gradNorm.Weights.grad = null;
        layer.grad = null;
        var losses = new List<Tensor> { (layer[0] * 1).square() - 1, (layer[1] * 2).square() - 4 };
        var weighted = gradNorm.Weigh(losses, [0, 0]);
        Assert.Equal(new double[] { -2, 8 }, gradNorm.Weights.grad!.to_type(ScalarType.Float64).data<double>().ToArray());
        (weighted.Terms[0] + weighted.Terms[1]).backward();
        Assert.Equal(new double[] { 2, 8 }, layer.grad!.data<double>().ToArray());
    }

    private static Stch StchWithNadir(double first, double second)
    {
        var stch = new Stch(2, warmupEpochs: 0);
        var state = stch.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        state["epoch"] = [1];
        state["nadir"] = [first, second];
        stch.LoadStateDict(state);
        return stch;
    }
}
