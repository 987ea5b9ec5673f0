using System;
using System.Collections.Generic;
using System.Linq;
using GradSurgery.Tests.Optimizer;
using GradSurgery.Tests.Weightings;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace GradSurgery.Tests.Aggregation;

/// <summary>
/// The aggregators that are not a single weighting of the whole Gram matrix (GradDrop, TrimmedMean,
/// GroupedAggregator): the same tensor contract as every aggregator, their own options, and the wrapper.
/// </summary>
public class FullMatrixAggregatorTests
{
    public static IEnumerable<object[]> Aggregators()
    {
        yield return new object[] { "GradDrop", new Func<IGradientAggregator>(() => new GradDrop(seed: 3)) };
        yield return new object[] { "GradDrop leaky", new Func<IGradientAggregator>(() => new GradDrop([0.5, 0, 1], seed: 3)) };
        yield return new object[] { "TrimmedMean", new Func<IGradientAggregator>(() => new TrimmedMean(1)) };
        yield return new object[] { "DB-MTL", new Func<IGradientAggregator>(() => new DbMtl()) };
        yield return new object[] { "GradVac per group", new Func<IGradientAggregator>(() => new GroupedAggregator([10, 4, 10], () => new GradVac(seed: 3))) };
        yield return new object[] { "UPGrad per group", new Func<IGradientAggregator>(() => new GroupedAggregator([GradientCases.Parameters], () => new UPGrad())) };
    }

    private static Tensor Conflicting(ScalarType dtype) =>
        torch.tensor(GradientCases.Conflicting(3, 4), dtype: ScalarType.Float64).to_type(dtype);

    [Theory]
    [MemberData(nameof(Aggregators))]
    public void Output_keeps_dtype_and_the_input_and_reduced_precision_agrees_with_float32(string name, Func<IGradientAggregator> create)
    {
        using var scope = NewDisposeScope();
        var g = Conflicting(ScalarType.Float32);
        var before = g.clone();
        var reference = create().Aggregate(g);
        Assert.True(g.allclose(before, rtol: 0, atol: 0), $"{name} modified its input");
        Assert.Equal(new long[] { GradientCases.Parameters }, reference.shape);
        var scale = g.norm(1, keepdim: false).max().item<float>();
        foreach (var (dtype, tolerance) in new[] { (ScalarType.Float64, 1e-5), (ScalarType.Float16, 4e-3), (ScalarType.BFloat16, 3e-2) })
        {
            var d = create().Aggregate(Conflicting(dtype));
            Assert.Equal(dtype, d.dtype);
            var error = (d.to_type(ScalarType.Float64) - reference.to_type(ScalarType.Float64)).abs().max().item<double>();
            Assert.True(error <= tolerance * scale, $"{name} {dtype}: error {error / scale:E2} relative");
        }
    }

    [Theory]
    [MemberData(nameof(Aggregators))]
    public void Bad_input_is_rejected_and_the_destination_is_untouched(string name, Func<IGradientAggregator> create)
    {
        using var scope = NewDisposeScope();
        var nan = Conflicting(ScalarType.Float32);
        nan[1, 5] = torch.tensor(float.NaN);
        var destination = torch.full(GradientCases.Parameters, 7f);
        var e = Assert.Throws<NonFiniteGradientException>(() => create().Aggregate(nan, destination));
        Assert.Equal(1, e.TaskIndex);
        Assert.True(destination.eq(7f).all().item<bool>(), $"{name} wrote into the destination");
        Assert.Contains("[T, P] matrix", Assert.ThrowsAny<ArgumentException>(() => create().Aggregate(torch.ones(4))).Message);
        Assert.Contains("[P] vector", Assert.ThrowsAny<ArgumentException>(() => create().Aggregate(Conflicting(ScalarType.Float32), torch.ones(3))).Message);
        Assert.Contains("dtype", Assert.ThrowsAny<ArgumentException>(() => create().Aggregate(Conflicting(ScalarType.Float32), torch.ones(GradientCases.Parameters, dtype: ScalarType.Float64))).Message);
    }

    [Theory]
    [MemberData(nameof(Aggregators))]
    public void Diagnostics_carry_the_whole_Gram_matrix_and_the_update_norm(string name, Func<IGradientAggregator> create)
    {
        using var scope = NewDisposeScope();
        var g = Conflicting(ScalarType.Float64);
        var destination = torch.empty(GradientCases.Parameters, dtype: ScalarType.Float64);
        var diagnostics = create().Aggregate(g, destination);
        var expected = Gramian.FromGradients(GradientCases.Conflicting(3, 4));
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 3; j++)
                Assert.Equal(expected[i, j], diagnostics.Gramian[i, j], 1e-9 * expected[0, 0]);
        }
        Assert.Equal(destination.norm().item<double>(), diagnostics.UpdateNorm, 1e-12);
        Assert.False(diagnostics.IsWeighted, name);
        Assert.All(diagnostics.Weights, w => Assert.True(double.IsNaN(w)));
    }

    [Theory]
    [MemberData(nameof(Aggregators))]
    public void No_tensor_outlives_an_aggregation(string name, Func<IGradientAggregator> create)
    {
        using var scope = NewDisposeScope();
        var g = Conflicting(ScalarType.Float16);
        var destination = torch.zeros(GradientCases.Parameters, dtype: ScalarType.Float16);
        var aggregator = create();
        aggregator.Aggregate(g, destination);
        var live = LiveTensors.Count();
        for (var i = 0; i < 20; i++)
            aggregator.Aggregate(g, destination);
        Assert.True(live == LiveTensors.Count(), $"{name} leaked tensors");
    }

    [Fact]
    public void Options_and_task_counts_are_validated_with_messages()
    {
        using var scope = NewDisposeScope();
        var g = Conflicting(ScalarType.Float32);
        Assert.Equal("GradDrop's leaks must hold one value per task; got none. (Parameter 'leaks')", Assert.Throws<ArgumentException>(() => new GradDrop([])).Message);
        Assert.Equal("GradDrop's leak 1 is 1.5; leaks must be in [0, 1]. (Parameter 'leaks')", Assert.Throws<ArgumentException>(() => new GradDrop([0, 1.5])).Message);
        Assert.Equal("GradDrop was given 2 leaks for 3 tasks. (Parameter 'gradients')", Assert.Throws<ArgumentException>(() => new GradDrop([0, 0]).Aggregate(g)).Message);
        Assert.Equal("trimCount", Assert.Throws<ArgumentOutOfRangeException>(() => new TrimmedMean(-1)).ParamName);
        Assert.Equal("TrimmedMean with f = 2 needs more than 2f = 4 tasks; got 3. (Parameter 'gradients')", Assert.Throws<ArgumentException>(() => new TrimmedMean(2).Aggregate(g)).Message);
        Assert.Contains("at least one group", Assert.Throws<ArgumentException>(() => new GroupedAggregator([], () => new Mean())).Message);
        Assert.Contains("Group 1 has 0 columns", Assert.Throws<ArgumentException>(() => new GroupedAggregator([3, 0], () => new Mean())).Message);
        var shared = new Mean();
        Assert.Contains("new instance per group", Assert.Throws<ArgumentException>(() => new GroupedAggregator([3, 3], () => shared)).Message);
        Assert.Throws<ArgumentNullException>(() => new GroupedAggregator([3], () => null!));
        Assert.Contains("tile 20 columns but the gradients have P = 24", Assert.Throws<ArgumentException>(() => new GroupedAggregator([10, 10], () => new Mean()).Aggregate(g)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GroupedAggregator([24], () => new Mean()).WeightingOf(1));
    }

    [Fact]
    public void Each_group_is_weighted_on_its_own_block_with_its_own_state()
    {
        using var scope = NewDisposeScope();
        var host = GradientCases.Conflicting(4, 9);
        var g = torch.tensor(host, dtype: ScalarType.Float64);
        var grouped = new GroupedAggregator([5, 19], () => new GradVac(order: PCGradTaskOrder.Fixed));
        var first = new GradVac(order: PCGradTaskOrder.Fixed);
        var second = new GradVac(order: PCGradTaskOrder.Fixed);
        for (var step = 0; step < 3; step++)
        {
            var expected = torch.cat([new GramianWeightedAggregator(first).Aggregate(g.narrow(1, 0, 5)), new GramianWeightedAggregator(second).Aggregate(g.narrow(1, 5, 19))]);
            Assert.True(grouped.Aggregate(g).allclose(expected, rtol: 1e-12, atol: 1e-12), $"step {step}");
        }
        Assert.Equal("GradVac per group", grouped.Name);
        grouped.Reset();
        Assert.Null(((GradVac)grouped.WeightingOf(0)).TargetCosines);
        var whole = new GroupedAggregator([GradientCases.Parameters], () => new Mgda()).Aggregate(g);
        Assert.True(whole.allclose(new Mgda().Aggregator().Aggregate(g), rtol: 1e-12, atol: 1e-12), "one group is the plain method");
    }

    [Fact]
    public void GradDrop_keeps_one_sign_per_coordinate_and_replays_after_reset()
    {
        using var scope = NewDisposeScope();
        // Column 0 is all positive (purity 1: always kept), column 1 all negative (purity 0: always kept),
        // column 2 is mixed: exactly one of its signs survives.
        var g = torch.tensor(new double[,] { { 1, -2, 3 }, { 2, -1, -1 } });
        var gradDrop = new GradDrop(seed: 11);
        var draws = Enumerable.Range(0, 40).Select(_ => gradDrop.Aggregate(g).data<double>().ToArray()).ToArray();
        Assert.All(draws, d => Assert.Equal(3, d[0]));
        Assert.All(draws, d => Assert.Equal(-3, d[1]));
        Assert.All(draws, d => Assert.Contains(d[2], new[] { 3.0, -1.0 }));
        Assert.Contains(draws, d => d[2] == 3);
        Assert.Contains(draws, d => d[2] == -1);
        gradDrop.Reset();
        Assert.Equal(draws[0], gradDrop.Aggregate(g).data<double>().ToArray());
        Assert.Equal(g.sum(dim: 0).data<double>().ToArray(), new GradDrop([1, 1]).Aggregate(g).data<double>().ToArray());
    }

    [Fact]
    public void The_wrapper_trains_with_an_elementwise_or_grouped_aggregator_in_parameter_mode()
    {
        using var scope = NewDisposeScope();
        var (x, y) = TwoHeadModel.Data(16, tasks: 3);
        foreach (var create in new Func<TwoHeadModel, IGradientAggregator>[]
        {
            _ => new GradDrop(seed: 1),
            _ => new TrimmedMean(1),
            m => GroupedAggregator.PerParameter(m.SharedParameters, () => new GradVac(seed: 1)),
        })
        {
            var model = new TwoHeadModel(tasks: 3);
            var aggregator = create(model);
            using var opt = new GradientSurgeryOptimizer(torch.optim.SGD(model.parameters(), 0.05), aggregator, new GradientSurgeryOptions { SharedParameters = model.SharedParameters });
            var before = model.Losses(x, y).Losses.Sum(l => l.item<double>());
            for (var step = 0; step < 30; step++)
            {
                opt.zero_grad();
                opt.Backward(model.Losses(x, y).Losses);
                opt.step();
            }
            Assert.True(model.Losses(x, y).Losses.Sum(l => l.item<double>()) < before, $"{aggregator.Name} did not reduce the losses");
            Assert.False(opt.LastDiagnostics!.IsWeighted);
            var (losses, z) = model.Losses(x, y);
            Assert.Throws<NotSupportedException>(() => opt.Backward(losses, z));
        }
    }
}
