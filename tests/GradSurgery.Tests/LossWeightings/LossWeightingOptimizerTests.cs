using System;
using System.Collections.Generic;
using System.Linq;
using GradSurgery.Tests.Optimizer;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace GradSurgery.Tests.LossWeightings;

/// <summary>Loss weightings through <see cref="GradientSurgeryOptimizer"/>: alone (one backward), before an aggregator, in representation mode, and on failure.</summary>
public class LossWeightingOptimizerTests
{
    private static Tensor Flat(IEnumerable<Parameter> parameters) =>
        torch.cat(parameters.Select(p => p.grad is { } g ? g.flatten() : torch.zeros_like(p).flatten()).ToArray());

    private static void Close(Tensor expected, Tensor actual, double tolerance = 1e-12) =>
        Assert.True(actual.allclose(expected, rtol: tolerance, atol: tolerance * Math.Max(1, expected.abs().max().item<double>())), $"max difference {(actual - expected).abs().max().item<double>():E2}");

    /// <summary>The gradient of Σ wₜ·Lₜ for constant weights, by one plain backward.</summary>
    private static Tensor WeightedGradient(TwoHeadModel model, Tensor x, Tensor[] y, IReadOnlyList<double> weights)
    {
        model.zero_grad();
        var losses = model.Losses(x, y).Losses;
        var total = losses.Select((l, t) => l * weights[t]).Aggregate((a, b) => a + b);
        total.backward();
        var flat = Flat(model.parameters()).clone();
        model.zero_grad();
        return flat;
    }

    [Fact]
    public void A_loss_weighting_alone_backpropagates_the_weighted_sum_once_without_a_task_buffer()
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel(tasks: 3);
        var (x, y) = TwoHeadModel.Data(16, tasks: 3);
        var twin = new RandomLossWeighting(seed: 9);
        var expectedWeights = LossLeaves.Weights(twin, 1, 1, 1);
        var expected = WeightedGradient(model, x, y, expectedWeights);
        using var opt = new GradientSurgeryOptimizer(optim.SGD(model.parameters(), 0.1), new RandomLossWeighting(seed: 9));
        opt.zero_grad();
        opt.Backward(model.Losses(x, y).Losses);
        Close(expected, Flat(model.parameters()));
        Assert.False(opt.HasTaskGradientBuffer);
        Assert.Null(opt.LastDiagnostics);
        Assert.Null(opt.Aggregator);
        Assert.Equal(expectedWeights, opt.LastLossWeights);
        Assert.Empty(opt.SharedParameters);
    }

    [Fact]
    public void Gradients_accumulate_over_backward_calls_as_plain_backward_does()
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel(tasks: 2);
        var (x, y) = TwoHeadModel.Data(16);
        var once = WeightedGradient(model, x, y, [1, 1]);
        using var opt = new GradientSurgeryOptimizer(optim.SGD(model.parameters(), 0.1), new Dwa(2));
        opt.zero_grad();
        opt.Backward(model.Losses(x, y).Losses);
        opt.Backward(model.Losses(x, y).Losses);
        Close(2 * once, Flat(model.parameters()));
    }

    [Fact]
    public void Step_tells_the_weighting_and_end_epoch_is_forwarded()
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel(tasks: 2);
        var (x, y) = TwoHeadModel.Data(16);
        var dwa = new Dwa(2);
        var famo = new Famo(2);
        using var dwaOpt = new GradientSurgeryOptimizer(optim.SGD(model.parameters(), 0.01), dwa);
        dwaOpt.Backward(model.Losses(x, y).Losses);
        dwaOpt.EndEpoch();
        Assert.Equal(1, dwa.RememberedEpochs);
        using var famoOpt = new GradientSurgeryOptimizer(optim.SGD(model.parameters(), 0.01), famo);
        famoOpt.zero_grad();
        famoOpt.Backward(model.Losses(x, y).Losses);
        famoOpt.Backward(model.Losses(x, y).Losses);
        Assert.Equal([0.5, 0.5], famo.TaskWeights);
        famoOpt.step();
        famoOpt.zero_grad();
        famoOpt.Backward(model.Losses(x, y).Losses);
        Assert.NotEqual(0.5, famo.TaskWeights[0]);
    }

    [Fact]
    public void Trainable_parameters_the_wrapped_optimizer_does_not_own_are_rejected()
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel(tasks: 2);
        var uw = new UncertaintyWeighting(2, dtype: ScalarType.Float64);
        var error = Assert.Throws<ArgumentException>(() => new GradientSurgeryOptimizer(optim.Adam(model.parameters()), uw));
        Assert.Equal("lossWeighting", error.ParamName);
        Assert.Contains("UW's parameters are not among the wrapped optimizer's", error.Message, StringComparison.Ordinal);
        using var owned = new GradientSurgeryOptimizer(optim.Adam(model.parameters().Concat(uw.Parameters)), uw);
        Assert.Same(uw, owned.LossWeighting);
        Assert.Throws<ArgumentNullException>(() => new GradientSurgeryOptimizer(optim.Adam(model.parameters()), (ILossWeighting)null!));
        Assert.Throws<ArgumentNullException>(() => new GradientSurgeryOptimizer(optim.Adam(model.parameters()), new Gls(), (IGradientAggregator)null!));
        Assert.Throws<ArgumentNullException>(() => new GradientSurgeryOptimizer(optim.Adam(model.parameters()), null!, new GramianWeightedAggregator(new Mean())));
    }

    [Fact]
    public void Before_an_aggregator_the_transformed_losses_are_the_tasks_losses()
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel(tasks: 3);
        var (x, y) = TwoHeadModel.Data(16, tasks: 3);
        var values = model.Losses(x, y).Losses.Select(l => l.item<double>()).ToArray();
        // log Lₜ with the mean aggregator: shared gradient Σ ∇Lₜ/(3·Lₜ); each head ∇Lₜ/Lₜ (its own task's).
        var shared = WeightedGradient(model, x, y, [.. values.Select(v => 1 / (3 * (v + LogLosses.Offset)))]);
        using var opt = new GradientSurgeryOptimizer(optim.SGD(model.parameters(), 0.1), new LogLosses(), new GramianWeightedAggregator(new Mean()));
        opt.zero_grad();
        opt.Backward(model.Losses(x, y).Losses);
        var trunkCount = model.SharedParameters.Sum(p => p.numel());
        Close(shared.narrow(0, 0, trunkCount), Flat(model.SharedParameters));
        Assert.True(opt.HasTaskGradientBuffer);
        Assert.NotNull(opt.LastDiagnostics);
        for (var t = 0; t < 3; t++)
        {
            var own = new double[3];
            own[t] = 1 / (values[t] + LogLosses.Offset);
            var head = WeightedGradient(model, x, y, own).narrow(0, trunkCount + (t * 9), 9);
            opt.zero_grad();
            opt.Backward(model.Losses(x, y).Losses);
            Close(head, Flat(model.Heads[t].parameters()));
        }
    }

    [Fact]
    public void Db_mtl_through_the_wrapper_is_log_losses_then_balanced_averaged_gradients()
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel(tasks: 2);
        var (x, y) = TwoHeadModel.Data(16);
        var shared = model.SharedParameters.ToArray();
        // By hand: per-task gradients of log Lₜ on the trunk, β = 0.9 from zero, one step.
        var rows = new List<Tensor>();
        for (var t = 0; t < 2; t++)
        {
            model.zero_grad();
            (model.Losses(x, y).Losses[t] + LogLosses.Offset).log().backward();
            rows.Add(0.1 * Flat(shared).clone());
        }
        model.zero_grad();
        var norms = rows.Select(r => r.norm().item<double>()).ToArray();
        var expected = (norms.Max() / norms[0] * rows[0]) + (norms.Max() / norms[1] * rows[1]);
        using var opt = new GradientSurgeryOptimizer(optim.SGD(model.parameters(), 0.1), new LogLosses(), new DbMtl());
        opt.Backward(model.Losses(x, y).Losses);
        Close(expected, Flat(shared));
    }

    [Fact]
    public void Trainable_scales_are_task_specific_parameters_of_the_gradient_path()
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel(tasks: 2);
        var (x, y) = TwoHeadModel.Data(16);
        var uw = new UncertaintyWeighting(2, initialLogVariance: 0, dtype: ScalarType.Float64);
        using var opt = new GradientSurgeryOptimizer(optim.SGD(model.parameters().Concat(uw.Parameters), 0.1), uw, new GramianWeightedAggregator(new Mgda()));
        var values = model.Losses(x, y).Losses.Select(l => l.item<double>()).ToArray();
        opt.Backward(model.Losses(x, y).Losses);
        // ∂/∂sₜ (Lₜ·e^(−sₜ)/2 + sₜ/2) = (1 − Lₜ)/2 at s = 0: each scale gets its own task's gradient, not MGDA's mix.
        var grad = uw.LogVariances.grad!.data<double>().ToArray();
        Assert.Equal((1 - values[0]) / 2, grad[0], 12);
        Assert.Equal((1 - values[1]) / 2, grad[1], 12);
        Assert.DoesNotContain(uw.LogVariances, opt.SharedParameters);
        var error = Assert.Throws<ArgumentException>(() => new GradientSurgeryOptimizer(optim.SGD(model.parameters().Concat(uw.Parameters), 0.1), uw, new GramianWeightedAggregator(new Mgda()), new GradientSurgeryOptions { SharedParameters = uw.Parameters }));
        Assert.Equal("options.SharedParameters", error.ParamName);
    }

    [Fact]
    public void Representation_mode_weighs_the_transformed_losses()
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel(tasks: 2);
        var (x, y) = TwoHeadModel.Data(16);
        var values = model.Losses(x, y).Losses.Select(l => l.item<double>()).ToArray();
        // GLS then Mean on ∂/∂Z: Σ ½·wₜ·Lₜ with GLS's weights.
        var gm = Math.Sqrt(values[0] * values[1]);
        var expected = WeightedGradient(model, x, y, [.. values.Select(v => 0.5 * gm / (2 * v))]);
        using var opt = new GradientSurgeryOptimizer(optim.SGD(model.parameters(), 0.1), new Gls(), new GramianWeightedAggregator(new Mean()));
        var (losses, z) = model.Losses(x, y);
        opt.Backward(losses, z);
        Close(expected, Flat(model.parameters()));
        Assert.NotNull(opt.LastLossWeights);
        using var alone = new GradientSurgeryOptimizer(optim.SGD(model.parameters(), 0.1), new Gls());
        var (moreLosses, moreZ) = model.Losses(x, y);
        Assert.Contains("a loss weighting alone", Assert.Throws<NotSupportedException>(() => alone.Backward(moreLosses, moreZ)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(NonFiniteGradientPolicy.Throw)]
    [InlineData(NonFiniteGradientPolicy.SkipStep)]
    public void A_non_finite_gradient_restores_the_weighting_state_and_applies_nothing(NonFiniteGradientPolicy policy)
    {
        using var scope = NewDisposeScope();
        var p = new Parameter(torch.zeros(2, dtype: ScalarType.Float64));
        var famo = new Famo(2);
        using var opt = new GradientSurgeryOptimizer(optim.SGD([p], 0.1), famo, new GradientSurgeryOptions { NonFinite = policy, CheckLossWeightedGradients = true });
        opt.Backward([(p[0] + 1).square(), (p[1] + 2).square()]);
        opt.step();
        var before = famo.StateDict();
        var parameters = p.detach().clone();
        // √p at 0: finite losses (1 + 0), infinite gradient.
        void Bad() => opt.Backward([p[0].sqrt() + 1, (p[1] + 2).square()]);
        if (policy == NonFiniteGradientPolicy.Throw)
        {
            Assert.Throws<NonFiniteGradientException>(Bad);
        }
        else
        {
            Bad();
            opt.step();
            Assert.True(opt.LastStepSkipped);
        }
        Assert.True(p.allclose(parameters, rtol: 0, atol: 0));
        var after = famo.StateDict();
        foreach (var key in before.Keys)
            Assert.Equal(before[key], after[key]);
    }

    [Fact]
    public void A_non_finite_weight_is_reported_before_anything_is_back_propagated()
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel(tasks: 2);
        var (x, y) = TwoHeadModel.Data(16);
        var uw = new UncertaintyWeighting(2, dtype: ScalarType.Float64);
        uw.LoadStateDict(new Dictionary<string, double[]> { ["log_variances"] = [0, -1000] });
        using var opt = new GradientSurgeryOptimizer(optim.SGD(model.parameters().Concat(uw.Parameters), 0.1), uw);
        var error = Assert.Throws<NonFiniteGradientException>(() => opt.Backward(model.Losses(x, y).Losses));
        Assert.Equal(1, error.TaskIndex);
        Assert.Contains("UW gives loss 1 the weight Infinity", error.Message, StringComparison.Ordinal);
        Assert.All(model.parameters(), q => Assert.True(q.grad is null || q.grad.eq(0).all().item<bool>()));
    }

    [Fact]
    public void Gradients_of_a_loss_weighting_alone_are_checked_only_when_asked()
    {
        using var scope = NewDisposeScope();
        var p = new Parameter(torch.zeros(2, dtype: ScalarType.Float64));
        using var unchecked_ = new GradientSurgeryOptimizer(optim.SGD([p], 0.1), new Gls());
        unchecked_.Backward([p[0].sqrt() + 1, (p[1] + 2).square()]);
        Assert.True(double.IsInfinity(p.grad![0].item<double>()));
        p.grad = null;
        using var checked_ = new GradientSurgeryOptimizer(optim.SGD([p], 0.1), new Gls(), new GradientSurgeryOptions { CheckLossWeightedGradients = true });
        Assert.Throws<NonFiniteGradientException>(() => checked_.Backward([p[0].sqrt() + 1, (p[1] + 2).square()]));
    }

    [Fact]
    public void Losses_a_weighting_rejects_leave_gradients_and_state_untouched()
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel(tasks: 2);
        var (x, y) = TwoHeadModel.Data(16);
        var dwa = new Dwa(3);
        using var opt = new GradientSurgeryOptimizer(optim.SGD(model.parameters(), 0.1), dwa);
        var error = Assert.Throws<ArgumentException>(() => opt.Backward(model.Losses(x, y).Losses));
        Assert.Contains("created for 3 tasks", error.Message, StringComparison.Ordinal);
        Assert.All(model.parameters(), q => Assert.True(q.grad is null || q.grad.eq(0).all().item<bool>()));
        Assert.Equal([0.0], dwa.StateDict()["epoch_count"]);
    }
}
