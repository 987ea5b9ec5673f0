using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace GradSurgery.Tests.Optimizer;

public class GradientSurgeryOptimizerTests
{
    public static IEnumerable<object[]> Methods() => MethodFactories.All();

    private static Tensor Flat(IEnumerable<Parameter> parameters) =>
        torch.cat(parameters.Select(p => p.grad!.flatten()).ToArray());

    /// <summary>Per-task gradients by plain separate backward passes: rows over the trunk, and each head's own gradient.</summary>
    private static (Tensor G, Tensor[] Heads) HandComputed(TwoHeadModel model, Tensor x, Tensor[] y)
    {
        var rows = new List<Tensor>();
        var heads = new Tensor[model.Heads.Length];
        for (var t = 0; t < model.Heads.Length; t++)
        {
            model.zero_grad();
            model.Losses(x, y).Losses[t].backward();
            rows.Add(Flat(model.SharedParameters).clone());
            heads[t] = Flat(model.Heads[t].parameters()).clone();
        }
        model.zero_grad();
        return (torch.stack(rows), heads);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Shared_grad_is_the_aggregate_and_heads_get_their_own_gradient(string name, Func<IGramianWeighting> create)
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel(tasks: 3);
        var (x, y) = TwoHeadModel.Data(16, tasks: 3);
        var (g, heads) = HandComputed(model, x, y);
        foreach (var inferred in new[] { true, false })
        {
            // A stateful method's n-th call is compared with a fresh instance's n-th call.
            var reference = create().Aggregator();
            using var opt = new GradientSurgeryOptimizer(torch.optim.SGD(model.parameters(), 0.1), create(), new GradientSurgeryOptions { SharedParameters = inferred ? null : model.SharedParameters });
            for (var call = 0; call < 2; call++)
            {
                var expected = reference.Aggregate(g);
                opt.zero_grad();
                opt.Backward(model.Losses(x, y).Losses);
                Assert.True(Flat(model.SharedParameters).allclose(expected, rtol: 1e-6, atol: 1e-9), $"{name}: shared grad differs (inferred={inferred}, call {call})");
                for (var t = 0; t < heads.Length; t++)
                    Assert.True(Flat(model.Heads[t].parameters()).allclose(heads[t], rtol: 1e-9, atol: 1e-12), $"{name}: head {t} did not get exactly its own gradient");
            }
            Assert.Equal(2, opt.SharedParameters.Count);
        }
    }

    [Fact]
    public void Mean_and_sum_equal_a_plain_backward_of_the_mean_and_summed_loss()
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel();
        var (x, y) = TwoHeadModel.Data(16);
        model.zero_grad();
        var losses = model.Losses(x, y).Losses;
        (losses[0] + losses[1]).backward();
        var summed = Flat(model.SharedParameters).clone();
        using var opt = new GradientSurgeryOptimizer(torch.optim.SGD(model.parameters(), 0.1), new Sum());
        opt.zero_grad();
        opt.Backward(model.Losses(x, y).Losses);
        Assert.True(Flat(model.SharedParameters).allclose(summed, rtol: 1e-10, atol: 1e-12));
        using var meanOpt = new GradientSurgeryOptimizer(torch.optim.SGD(model.parameters(), 0.1), new Mean());
        meanOpt.zero_grad();
        meanOpt.Backward(model.Losses(x, y).Losses);
        Assert.True(Flat(model.SharedParameters).allclose(summed / 2, rtol: 1e-10, atol: 1e-12));
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Representation_mode_weights_come_from_the_representation_gradients(string name, Func<IGramianWeighting> create)
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel(tasks: 3);
        var (x, y) = TwoHeadModel.Data(16, tasks: 3);
        // Hand computation: ∂Lₜ/∂Z flattened, weights from their Gram, then one backward of Σ wₜLₜ.
        var (losses, z) = model.Losses(x, y);
        var rows = losses.Select(l => torch.autograd.grad(new List<Tensor> { l }, new List<Tensor> { z }, retain_graph: true)[0].flatten()).ToArray();
        var weights = create().ComputeWeights(new Gramian(ToArray(torch.stack(rows))));
        model.zero_grad();
        var total = losses.Select((l, t) => l * weights[t]).Aggregate((a, b) => a + b);
        total.backward();
        var expectedShared = Flat(model.SharedParameters).clone();
        var expectedHeads = model.Heads.Select(h => Flat(h.parameters()).clone()).ToArray();

        using var opt = new GradientSurgeryOptimizer(torch.optim.SGD(model.parameters(), 0.1), create());
        opt.zero_grad();
        var (losses2, z2) = model.Losses(x, y);
        opt.Backward(losses2, z2);
        Assert.True(Flat(model.SharedParameters).allclose(expectedShared, rtol: 1e-8, atol: 1e-12), name);
        for (var t = 0; t < 3; t++)
            Assert.True(Flat(model.Heads[t].parameters()).allclose(expectedHeads[t], rtol: 1e-8, atol: 1e-12), $"{name}: head {t}");
        Assert.Equal(weights, opt.LastDiagnostics!.Weights, new ToleranceComparer(1e-9));
    }

    private static double[,] ToArray(Tensor z)
    {
        var gram = z.matmul(z.T);
        var n = (int)gram.shape[0];
        var data = gram.data<double>().ToArray();
        var m = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
                m[i, j] = data[(i * n) + j];
        }
        return m;
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Training_lowers_both_conflicting_task_losses_with_Adam_and_SGD_momentum(string name, Func<IGramianWeighting> create)
    {
        using var scope = NewDisposeScope();
        var (x, y) = TwoHeadModel.Data(64);
        foreach (var adam in new[] { true, false })
        {
            var model = new TwoHeadModel(hidden: 16);
            var inner = adam ? torch.optim.Adam(model.parameters(), 0.01) : (torch.optim.Optimizer)torch.optim.SGD(model.parameters(), 0.05, momentum: 0.9);
            using var opt = new GradientSurgeryOptimizer(inner, create());
            double[] Evaluate()
            {
                using var noGrad = torch.no_grad();
                return model.Losses(x, y).Losses.Select(l => l.item<double>()).ToArray();
            }
            var before = Evaluate();
            for (var step = 0; step < 300; step++)
            {
                using var stepScope = NewDisposeScope();
                opt.zero_grad();
                opt.Backward(model.Losses(x, y).Losses);
                opt.step();
            }
            var after = Evaluate();
            for (var t = 0; t < 2; t++)
                Assert.True(after[t] < 0.5 * before[t], $"{name} ({(adam ? "Adam" : "SGD")}): task {t} loss {before[t]:F4} → {after[t]:F4}");
        }
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Accumulating_micro_batches_equals_one_step_on_the_whole_batch(string name, Func<IGramianWeighting> create)
    {
        // Every Backward aggregates the accumulated gradients, so a stateful method (RLW's draws,
        // GradVac's targets, PCGrad's order) advances once per micro-batch: equal only for stateless ones.
        if (create() is IStatefulWeighting)
            return;
        using var scope = NewDisposeScope();
        var (x, y) = TwoHeadModel.Data(24);
        var whole = new TwoHeadModel();
        using (var opt = new GradientSurgeryOptimizer(torch.optim.SGD(whole.parameters(), 0.1), create()))
        {
            opt.zero_grad();
            opt.Backward(whole.Losses(x, y).Losses);
            opt.step();
        }
        var micro = new TwoHeadModel();
        using (var opt = new GradientSurgeryOptimizer(torch.optim.SGD(micro.parameters(), 0.1), create()))
        {
            const int k = 3;
            opt.zero_grad();
            for (var b = 0; b < k; b++)
            {
                var xs = x.narrow(0, b * 8, 8);
                var ys = y.Select(t => t.narrow(0, b * 8, 8)).ToArray();
                opt.Backward(micro.Losses(xs, ys).Losses.Select(l => l / k).ToList());
            }
            opt.step();
        }
        foreach (var (a, b) in whole.parameters().Zip(micro.parameters()))
            Assert.True(a.allclose(b, rtol: 1e-9, atol: 1e-12), $"{name}: parameters differ after accumulation");
    }

    [Fact]
    public void Lr_schedulers_and_state_dicts_act_on_the_wrapped_optimizer()
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel();
        var inner = torch.optim.Adam(model.parameters(), 0.1);
        using var opt = new GradientSurgeryOptimizer(inner, new PCGrad(seed: 1));
        var scheduler = torch.optim.lr_scheduler.ExponentialLR(opt, 0.5);
        var (x, y) = TwoHeadModel.Data(8);
        opt.zero_grad();
        opt.Backward(model.Losses(x, y).Losses);
        opt.step();
        scheduler.step();
        Assert.Equal(0.05, inner.ParamGroups.First().LearningRate, 12);
        Assert.NotNull(opt.state_dict());
    }

    [Fact]
    public void Bad_losses_are_rejected_and_nothing_is_modified()
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel();
        var (x, y) = TwoHeadModel.Data(8);
        using var opt = new GradientSurgeryOptimizer(torch.optim.Adam(model.parameters(), 0.1), new CAGrad());
        opt.zero_grad();
        opt.Backward(model.Losses(x, y).Losses);
        opt.step();
        var parameters = model.parameters().Select(p => p.detach().clone()).ToArray();
        var grads = Flat(model.SharedParameters).clone();
        var state = SnapshotState(opt);

        void AssertRejected(Func<List<Tensor>> losses, string message)
        {
            var e = Assert.ThrowsAny<ArgumentException>(() => opt.Backward(losses()));
            Assert.Contains(message, e.Message);
            foreach (var (p, saved) in model.parameters().Zip(parameters))
                Assert.True(p.allclose(saved, rtol: 0, atol: 0), message + ": a parameter changed");
            Assert.True(Flat(model.SharedParameters).allclose(grads, rtol: 0, atol: 0), message + ": a shared .grad changed");
            Assert.Equal(state, SnapshotState(opt));
        }

        AssertRejected(() => new List<Tensor>(), "empty");
        AssertRejected(() => { var l = model.Losses(x, y).Losses; l[0] = l[0] * torch.ones(3, dtype: ScalarType.Float64); return l; }, "not a scalar");
        AssertRejected(() => { var l = model.Losses(x, y).Losses; l[1] = l[1].detach(); return l; }, "no graph");
        AssertRejected(() => { var l = model.Losses(x, y).Losses; l[1] = l[1] * double.NaN; return l; }, "Loss 1 is NaN");
        AssertRejected(() => { var l = model.Losses(x, y).Losses; l[0] = l[0] + torch.sqrt(model.Trunk.weight!.sum() * 0); return l; }, "NaN or infinite");
    }

    [Fact]
    public void Skip_policy_skips_the_step_and_leaves_parameters_and_state_alone()
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel();
        var (x, y) = TwoHeadModel.Data(8);
        using var opt = new GradientSurgeryOptimizer(torch.optim.Adam(model.parameters(), 0.1), new Mgda(), new GradientSurgeryOptions { NonFinite = NonFiniteGradientPolicy.SkipStep });
        opt.zero_grad();
        opt.Backward(model.Losses(x, y).Losses);
        opt.step();
        var parameters = model.parameters().Select(p => p.detach().clone()).ToArray();
        var state = SnapshotState(opt);
        opt.zero_grad();
        var losses = model.Losses(x, y).Losses;
        losses[0] = losses[0] + torch.sqrt(model.Trunk.weight!.sum() * 0);
        opt.Backward(losses);
        opt.step();
        Assert.True(opt.LastStepSkipped);
        foreach (var (p, saved) in model.parameters().Zip(parameters))
            Assert.True(p.allclose(saved, rtol: 0, atol: 0));
        Assert.Equal(state, SnapshotState(opt));
        opt.zero_grad();
        opt.Backward(model.Losses(x, y).Losses);
        opt.step();
        Assert.False(opt.LastStepSkipped);
    }

    [Fact]
    public void Shared_parameters_on_different_dtypes_or_frozen_are_rejected()
    {
        using var scope = NewDisposeScope();
        var a = new Parameter(torch.ones(2, dtype: ScalarType.Float64));
        var b = new Parameter(torch.ones(2, dtype: ScalarType.Float32));
        var frozen = new Parameter(torch.ones(2), requires_grad: false);
        Assert.Contains("different dtypes", Assert.Throws<ArgumentException>(() => new GradientSurgeryOptimizer(torch.optim.SGD(new[] { a, b }, 0.1), new Sum(), new GradientSurgeryOptions { SharedParameters = new[] { a, b } })).Message);
        Assert.Contains("frozen", Assert.Throws<ArgumentException>(() => new GradientSurgeryOptimizer(torch.optim.SGD(new[] { a }, 0.1), new Sum(), new GradientSurgeryOptions { SharedParameters = new[] { frozen } })).Message);
    }

    [Fact]
    public void Native_tensor_count_stays_flat_over_two_thousand_steps()
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel();
        var (x, y) = TwoHeadModel.Data(16);
        using var opt = new GradientSurgeryOptimizer(torch.optim.Adam(model.parameters(), 0.01), new CAGrad());
        long live = 0;
        for (var step = 0; step < 2000; step++)
        {
            using (var stepScope = NewDisposeScope())
            {
                opt.zero_grad();
                opt.Backward(model.Losses(x, y).Losses);
                opt.step();
            }
            if (step == 10)
                live = LiveTensors.Count();
        }
        Assert.Equal(live, LiveTensors.Count());
    }

    [Fact]
    public void Csv_log_writes_one_row_per_aggregation()
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel();
        var (x, y) = TwoHeadModel.Data(8);
        var writer = new StringWriter();
        using var log = new DiagnosticsCsvLog(writer);
        using var opt = new GradientSurgeryOptimizer(torch.optim.SGD(model.parameters(), 0.01), new GradOps());
        opt.Aggregated += log.Append;
        for (var step = 0; step < 3; step++)
        {
            opt.zero_grad();
            opt.Backward(model.Losses(x, y).Losses);
            opt.step();
        }
        var lines = writer.ToString().Trim().Split('\n');
        Assert.Equal("step,conflicting_pairs,condition_number,update_norm,weight_0,weight_1,norm_0,norm_1", lines[0].Trim());
        Assert.Equal(4, lines.Length);
    }

    private static string SnapshotState(GradientSurgeryOptimizer opt)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            opt.save_state_dict(writer);
        return Convert.ToBase64String(stream.ToArray());
    }
}
