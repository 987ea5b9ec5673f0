using System;
using System.Linq;
using System.Threading.Tasks;
using GradSurgery.Tests.Optimizer;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace GradSurgery.Tests.Distributed;

/// <summary>What data-parallel training refuses, and how every rank fails together.</summary>
public class DataParallelContractTests
{
    [Fact]
    public void Methods_without_a_data_parallel_form_are_refused_when_the_optimizer_is_created()
    {
        using var scope = NewDisposeScope();
        var model = new TwoHeadModel(tasks: 2);
        var options = new GradientSurgeryOptions { Communicator = new SingleProcessCommunicator() };
        var error = Assert.Throws<ArgumentException>(() => new GradientSurgeryOptimizer(optim.SGD(model.parameters(), 0.1), new GradDrop(seed: 1), options));
        Assert.Contains("GradDrop combines the whole gradient matrix", error.Message, StringComparison.Ordinal);
        var gradNorm = new GradNorm(2, model.Trunk.parameters());
        var normError = Assert.Throws<ArgumentException>(() => new GradientSurgeryOptimizer(optim.SGD(model.parameters().Concat(gradNorm.Parameters), 0.1), gradNorm, options));
        Assert.Contains("GradNorm", normError.Message, StringComparison.Ordinal);
        using var opt = new GradientSurgeryOptimizer(optim.SGD(model.parameters(), 0.1), new Mgda(), options);
        Assert.Throws<ArgumentOutOfRangeException>(() => opt.LocalSampleCount = 0);
        opt.LocalSampleCount = null;
        Assert.IsType<SingleProcessCommunicator>(opt.Communicator);
    }

    [Fact]
    public void One_process_through_the_data_parallel_path_equals_the_plain_path()
    {
        using var scope = NewDisposeScope();
        var (x, y) = TwoHeadModel.Data(12, tasks: 3);
        double[] Run(GradientSurgeryOptions options)
        {
            var model = new TwoHeadModel(tasks: 3, seed: 4);
            using var opt = new GradientSurgeryOptimizer(optim.SGD(model.parameters(), 0.1), new CAGrad(), options);
            for (var step = 0; step < 3; step++)
            {
                opt.zero_grad();
                opt.Backward(model.Losses(x, y).Losses);
                opt.step();
            }
            return [.. model.parameters().SelectMany(p => p.detach().flatten().data<double>().ToArray())];
        }
        var plain = Run(new GradientSurgeryOptions());
        var single = Run(new GradientSurgeryOptions { Communicator = new SingleProcessCommunicator() });
        Assert.Equal(plain.Length, single.Length);
        for (var i = 0; i < plain.Length; i++)
            Assert.Equal(plain[i], single[i], 12);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_non_finite_loss_on_one_rank_makes_every_rank_throw_instead_of_waiting(bool lossWeighting)
    {
        var (x, y) = TwoHeadModel.Data(8);
        var hub = new ThreadedHub(2);
        var errors = new Exception?[2];
        var ranks = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            using var scope = NewDisposeScope();
            var model = new TwoHeadModel(tasks: 2, seed: 5);
            var options = new GradientSurgeryOptions { Communicator = new ThreadedCommunicator(hub, r) };
            using var opt = lossWeighting
                ? new GradientSurgeryOptimizer(optim.SGD(model.parameters(), 0.1), new Gls(), options)
                : new GradientSurgeryOptimizer(optim.SGD(model.parameters(), 0.1), new Mgda(), options);
            var losses = model.Losses(x.narrow(0, 4 * r, 4), [.. y.Select(t => t.narrow(0, 4 * r, 4))]).Losses;
            if (r == 1)
                losses[0] = losses[0] * double.NaN;
            try
            {
                opt.Backward(losses);
            }
            catch (Exception e)
            {
                errors[r] = e;
            }
        })).ToArray();
        // A rank left waiting in a collective would make this time out instead of finishing.
        await Task.WhenAll(ranks).WaitAsync(TimeSpan.FromSeconds(60));
        foreach (var error in errors)
        {
            var nonFinite = Assert.IsType<NonFiniteGradientException>(error);
            Assert.Equal(0, nonFinite.TaskIndex);
            Assert.Contains("The global loss 0 is NaN", nonFinite.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_single_process_communicator_is_the_identity()
    {
        using var scope = NewDisposeScope();
        var single = new SingleProcessCommunicator();
        var t = torch.tensor(new[] { 1.0, 2.0 });
        single.AllReduceSum(t);
        Assert.Equal([1.0, 2.0], t.data<double>().ToArray());
        var output = torch.zeros(2, dtype: ScalarType.Float64);
        single.ReduceScatterSum(t, output);
        Assert.Equal([1.0, 2.0], output.data<double>().ToArray());
        single.AllGather(t * 2, output);
        Assert.Equal([2.0, 4.0], output.data<double>().ToArray());
        single.Broadcast(t, 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => single.Broadcast(t, 1));
        Assert.Throws<ArgumentException>(() => single.AllGather(t, torch.zeros(3)));
        Assert.Equal((0, 1), (single.Rank, single.Size));
    }
}
