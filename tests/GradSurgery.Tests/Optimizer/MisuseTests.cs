using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace GradSurgery.Tests.Optimizer;

/// <summary>
/// Misuse a new user runs into: each is rejected with its own exception and message, and the model's
/// parameters stay bit-for-bit what they were.
/// </summary>
public class MisuseTests
{
    /// <summary>Adds a term whose value is 0 and whose gradient on <paramref name="parameter"/> is NaN (√ at 0 times 0).</summary>
    private static Tensor WithNaNGradient(Tensor loss, Tensor parameter) => loss + (parameter.sum() * 0).sqrt();

    [Theory]
    [InlineData(NonFiniteGradientPolicy.Throw, false)]
    [InlineData(NonFiniteGradientPolicy.SkipStep, false)]
    [InlineData(NonFiniteGradientPolicy.Throw, true)]
    [InlineData(NonFiniteGradientPolicy.SkipStep, true)]
    public void A_non_finite_task_head_gradient_is_caught_on_the_first_and_later_steps(NonFiniteGradientPolicy policy, bool representation)
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel();
        var (x, y) = TwoHeadModel.Data(8);
        using var opt = new GradientSurgeryOptimizer(torch.optim.Adam(model.parameters(), 0.1), new CAGrad(), new GradientSurgeryOptions { NonFinite = policy });
        foreach (var call in new[] { "first", "later" })
        {
            var saved = new ParameterSnapshot(model);
            opt.zero_grad();
            var (losses, z) = model.Losses(x, y);
            losses[1] = WithNaNGradient(losses[1], model.Heads[1].weight!);
            void Backward()
            {
                if (representation)
                    opt.Backward(losses, z);
                else
                    opt.Backward(losses);
            }
            if (policy == NonFiniteGradientPolicy.Throw)
            {
                var e = Assert.Throws<NonFiniteGradientException>(Backward);
                Assert.Contains("NaN or infinite", e.Message);
                Assert.Equal(representation ? null : 1, e.TaskIndex);
            }
            else
            {
                Backward();
                opt.step();
                Assert.True(opt.LastStepSkipped, $"{call} call: the step was not skipped");
            }
            saved.AssertUnchanged($"{policy}, {call} call");
            opt.zero_grad();
            opt.Backward(model.Losses(x, y).Losses);
            opt.step();
            Assert.False(opt.LastStepSkipped);
        }
    }

    [Fact]
    public void Shared_parameters_the_wrapped_optimizer_does_not_own_are_rejected()
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel();
        var stranger = new TwoHeadModel(seed: 2);
        var e = Assert.Throws<ArgumentException>(() => new GradientSurgeryOptimizer(torch.optim.SGD(model.parameters(), 0.1), new Mgda(), new GradientSurgeryOptions { SharedParameters = stranger.SharedParameters }));
        Assert.Equal("options.SharedParameters", e.ParamName);
        Assert.Contains("Shared parameter 0 (shape [8, 4]) is not among the wrapped optimizer's parameters", e.Message);
    }

    [Fact]
    public void A_representation_no_loss_depends_on_is_rejected()
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel();
        var (x, y) = TwoHeadModel.Data(8);
        var saved = new ParameterSnapshot(model);
        using var opt = new GradientSurgeryOptimizer(torch.optim.SGD(model.parameters(), 0.1), new Mgda());
        opt.zero_grad();
        var unrelated = model.Representation(x * 2);
        var e = Assert.Throws<ArgumentException>(() => opt.Backward(model.Losses(x, y).Losses, unrelated));
        Assert.Equal("representation", e.ParamName);
        Assert.StartsWith("No loss depends on the representation", e.Message);
        opt.step();
        saved.AssertUnchanged("unrelated representation");
    }

    [Fact]
    public void Every_member_throws_ObjectDisposedException_after_Dispose()
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel();
        var (x, y) = TwoHeadModel.Data(8);
        var opt = new GradientSurgeryOptimizer(torch.optim.SGD(model.parameters(), 0.1), new Sum());
        opt.zero_grad();
        opt.Backward(model.Losses(x, y).Losses);
        opt.step();
        opt.Dispose();
        var (losses, z) = model.Losses(x, y);
        Action[] members =
        [
            opt.zero_grad,
            () => opt.Backward(losses),
            () => opt.Backward(losses, z),
            () => opt.step(),
            () => opt.parameters(),
            () => _ = opt.ParamGroups,
            () => opt.state_dict(),
            () => opt.add_param_group(null!),
        ];
        foreach (var member in members)
            Assert.Throws<ObjectDisposedException>(member);
        opt.Dispose();
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void Changing_the_number_of_losses_while_accumulating_names_the_problem_in_any_dtype(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel(tasks: 3);
        model.to(dtype);
        var (x, y) = TwoHeadModel.Data(8, tasks: 3);
        x = x.to(dtype);
        y = y.Select(t => t.to(dtype)).ToArray();
        using var opt = new GradientSurgeryOptimizer(torch.optim.SGD(model.parameters(), 0.1), new Mean());
        opt.zero_grad();
        opt.Backward(model.Losses(x, y).Losses);
        var e = Assert.Throws<ArgumentException>(() => opt.Backward(model.Losses(x, y).Losses.Take(2).ToList()));
        Assert.Equal("Gradients of 3 tasks are being accumulated; got 2 losses. Call zero_grad() first. (Parameter 'losses')", e.Message);
        opt.zero_grad();
        opt.Backward(model.Losses(x, y).Losses.Take(2).ToList());
    }

    [Fact]
    public void Messages_name_their_parameter_once_and_inferred_shared_parameters_are_not_called_an_argument()
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel();
        var (x, y) = TwoHeadModel.Data(8);
        using var opt = new GradientSurgeryOptimizer(torch.optim.Adam(model.parameters(), 0.1), new Mgda());
        opt.zero_grad();
        var losses = model.Losses(x, y).Losses;
        losses[0] = WithNaNGradient(losses[0], model.Trunk.weight!);
        var e = Assert.Throws<NonFiniteGradientException>(() => opt.Backward(losses));
        Assert.Single(Regex.Matches(e.Message, @"\(Parameter '"));

        var a = new Parameter(torch.ones(2, dtype: ScalarType.Float64));
        var b = new Parameter(torch.ones(2, dtype: ScalarType.Float32));
        using var mixed = new GradientSurgeryOptimizer(torch.optim.SGD(new[] { a, b }, 0.1), new Sum());
        var inferred = Assert.Throws<ArgumentException>(() => mixed.Backward(new List<Tensor> { a.sum() + b.sum().to_type(ScalarType.Float64), (a * 2).sum() + b.sum().to_type(ScalarType.Float64) }));
        Assert.Null(inferred.ParamName);
        Assert.StartsWith("The shared parameters (inferred: reached by two or more losses) have different dtypes (Float64 and Float32)", inferred.Message);
    }
}
