using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace GradSurgery.Tests.Optimizer;

/// <summary>
/// Non-finite values raise <see cref="NonFiniteGradientException"/> (skipped under SkipStep, by type);
/// every other error propagates unchanged under both policies.
/// </summary>
public class ErrorPathTests
{
    private static readonly NonFiniteGradientPolicy[] Policies = [NonFiniteGradientPolicy.Throw, NonFiniteGradientPolicy.SkipStep];

    /// <summary>An aggregator that is not a weighting: twice the sum of the rows, on the device.</summary>
    private sealed class DoubledSum : IGradientAggregator
    {
        public string Name => "DoubledSum";

        public Tensor Aggregate(Tensor gradients) => gradients.sum(dim: 0) * 2;

        public GradientDiagnostics Aggregate(Tensor gradients, Tensor destination)
        {
            using var scope = NewDisposeScope();
            destination.copy_(gradients.sum(dim: 0) * 2);
            return new GradientDiagnostics(GradientMatrix.ComputeGramian(gradients), Enumerable.Repeat(2.0, (int)gradients.shape[0]).ToArray());
        }
    }

    [Fact]
    public void A_misconfigured_method_propagates_its_own_error_under_both_policies()
    {
        using var scope = NewDisposeScope();
        var (x, y) = TwoHeadModel.Data(8, tasks: 3);
        foreach (var policy in Policies)
        {
            var model = new TwoHeadModel(tasks: 3);
            using var opt = new GradientSurgeryOptimizer(torch.optim.SGD(model.parameters(), 0.1), new AlignedMtl(new[] { 1.0, 1.0 }), new GradientSurgeryOptions { NonFinite = policy });
            opt.zero_grad();
            var e = Assert.Throws<ArgumentException>(() => opt.Backward(model.Losses(x, y).Losses));
            Assert.Equal("Aligned-MTL was given 2 task weights for 3 tasks. (Parameter 'gramian')", e.Message);
            opt.step();
            Assert.False(opt.LastStepSkipped, $"{policy}: a configuration error must not turn into a skipped step");
        }
    }

    [Fact]
    public void A_non_finite_gradient_throws_the_typed_exception_naming_the_task_once()
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel();
        var (x, y) = TwoHeadModel.Data(8);
        var saved = new ParameterSnapshot(model);
        using var opt = new GradientSurgeryOptimizer(torch.optim.Adam(model.parameters(), 0.1), new Mgda());
        opt.zero_grad();
        var losses = model.Losses(x, y).Losses;
        losses[1] = losses[1] + torch.sqrt(model.Trunk.weight!.sum() * 0);
        var e = Assert.Throws<NonFiniteGradientException>(() => opt.Backward(losses));
        Assert.Equal(1, e.TaskIndex);
        Assert.Equal("gradients", e.ParamName);
        Assert.StartsWith("The gradient of task 1 contains NaN or infinite values", e.Message);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(e.Message, "Parameter '"));
        saved.AssertUnchanged("rejected step");
    }

    [Theory]
    [InlineData(NonFiniteGradientPolicy.Throw)]
    [InlineData(NonFiniteGradientPolicy.SkipStep)]
    public void A_non_finite_loss_is_the_typed_exception_or_a_skipped_step(NonFiniteGradientPolicy policy)
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel();
        var (x, y) = TwoHeadModel.Data(8);
        var saved = new ParameterSnapshot(model);
        using var opt = new GradientSurgeryOptimizer(torch.optim.Adam(model.parameters(), 0.1), new CAGrad(), new GradientSurgeryOptions { NonFinite = policy });
        opt.zero_grad();
        var losses = model.Losses(x, y).Losses;
        losses[1] = losses[1] * double.PositiveInfinity;
        if (policy == NonFiniteGradientPolicy.Throw)
        {
            var e = Assert.Throws<NonFiniteGradientException>(() => opt.Backward(losses));
            Assert.Equal(1, e.TaskIndex);
            Assert.Equal("losses", e.ParamName);
        }
        else
        {
            opt.Backward(losses);
            opt.step();
            Assert.True(opt.LastStepSkipped);
        }
        saved.AssertUnchanged("rejected step");
    }

    [Fact]
    public void Representation_mode_skips_a_non_finite_representation_gradient()
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel();
        var (x, y) = TwoHeadModel.Data(8);
        var saved = new ParameterSnapshot(model);
        using var opt = new GradientSurgeryOptimizer(torch.optim.Adam(model.parameters(), 0.1), new AlignedMtl(), new GradientSurgeryOptions { NonFinite = NonFiniteGradientPolicy.SkipStep });
        opt.zero_grad();
        var (losses, z) = model.Losses(x, y);
        losses[0] = losses[0] + torch.sqrt(z.sum() * 0);
        opt.Backward(losses, z);
        opt.step();
        Assert.True(opt.LastStepSkipped);
        saved.AssertUnchanged("rejected step");
    }

    [Fact]
    public void The_wrapper_takes_any_aggregator_and_representation_mode_asks_for_a_weighting()
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel();
        var (x, y) = TwoHeadModel.Data(8);
        model.zero_grad();
        var summed = model.Losses(x, y).Losses.Aggregate((a, b) => a + b);
        summed.backward();
        var expected = torch.cat(model.SharedParameters.Select(p => p.grad!.flatten() * 2).ToArray());
        using var opt = new GradientSurgeryOptimizer(torch.optim.SGD(model.parameters(), 0.1), new DoubledSum());
        opt.zero_grad();
        opt.Backward(model.Losses(x, y).Losses);
        var actual = torch.cat(model.SharedParameters.Select(p => p.grad!.flatten()).ToArray());
        Assert.True(actual.allclose(expected, rtol: 1e-12, atol: 1e-14), $"{string.Join(", ", actual.data<double>().ToArray())} vs {string.Join(", ", expected.data<double>().ToArray())}");
        Assert.Equal(new[] { 2.0, 2.0 }, opt.LastDiagnostics!.Weights);
        var (losses, z) = model.Losses(x, y);
        var e = Assert.Throws<NotSupportedException>(() => opt.Backward(losses, z));
        Assert.Contains("DoubledSum", e.Message);
    }

    [Fact]
    public void Subscribers_receive_every_aggregation()
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel();
        var (x, y) = TwoHeadModel.Data(8);
        using var opt = new GradientSurgeryOptimizer(torch.optim.SGD(model.parameters(), 0.01), new PCGrad(seed: 1));
        var received = new List<GradientDiagnostics>();
        opt.Aggregated += received.Add;
        for (var step = 0; step < 3; step++)
        {
            opt.zero_grad();
            opt.Backward(model.Losses(x, y).Losses);
            opt.step();
        }
        Assert.Equal(3, received.Count);
        Assert.Same(opt.LastDiagnostics, received[^1]);
        Assert.Equal("PCGrad", opt.Aggregator!.Name);
    }
}
