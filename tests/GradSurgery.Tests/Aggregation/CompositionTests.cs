using System;
using System.Linq;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace GradSurgery.Tests.Aggregation;

/// <summary>One sealed aggregator composes any weighting; diagnostics cost nothing until read.</summary>
public class CompositionTests
{
    /// <summary>A weighting that breaks its contract in a chosen way.</summary>
    private sealed class BrokenWeighting(Func<int, double[]> weights) : IGramianWeighting
    {
        public string Name => "Broken";

        public double[] ComputeWeights(Gramian gramian) => weights(gramian.TaskCount);
    }

    [Fact]
    public void A_user_weighting_is_composed_like_a_shipped_one()
    {
        using var scope = NewDisposeScope();
        var g = torch.tensor(new double[] { 1, 2, 3, 4, 5, 6 }, new long[] { 2, 3 });
        var aggregator = new GramianWeightedAggregator(new BrokenWeighting(t => new[] { 2.0, -1.0 }));
        Assert.Equal("Broken", aggregator.Name);
        Assert.Equal(new double[] { -2, -1, 0 }, aggregator.Aggregate(g).data<double>().ToArray());
    }

    [Fact]
    public void A_weighting_that_breaks_its_contract_is_named_in_the_error_and_nothing_is_written()
    {
        using var scope = NewDisposeScope();
        var g = torch.ones(3, 4, dtype: ScalarType.Float64);
        var destination = torch.full(4, 7.0, dtype: ScalarType.Float64);
        var tooFew = Assert.Throws<InvalidOperationException>(() => new GramianWeightedAggregator(new BrokenWeighting(_ => new[] { 1.0 })).Aggregate(g, destination));
        Assert.Equal("Broken returned 1 weights for 3 tasks.", tooFew.Message);
        var nan = Assert.Throws<InvalidOperationException>(() => new GramianWeightedAggregator(new BrokenWeighting(t => new[] { 1.0, double.NaN, 1.0 })).Aggregate(g, destination));
        Assert.Equal("Broken returned a non-finite weight NaN for task 1.", nan.Message);
        Assert.Equal(new double[] { 7, 7, 7, 7 }, destination.data<double>().ToArray());
        Assert.Throws<ArgumentNullException>(() => new GramianWeightedAggregator(null!));
    }

    [Fact]
    public void Diagnostics_are_computed_only_when_read()
    {
        using var scope = NewDisposeScope();
        var g = torch.tensor(new double[] { 1, 0, -1, 1 }, new long[] { 2, 2 });
        var diagnostics = new GramianWeightedAggregator(new Sum()).Aggregate(g, torch.empty(2, dtype: ScalarType.Float64));
        Assert.False(diagnostics.Gramian.HasEigendecomposition);
        Assert.Equal(new[] { 1.0, 1.0 }, diagnostics.Weights);
        Assert.Equal(1, diagnostics.ConflictingPairs);
        Assert.False(diagnostics.Gramian.HasEigendecomposition);
        Assert.Equal(Math.Sqrt((3 + Math.Sqrt(5)) / (3 - Math.Sqrt(5))), diagnostics.ConditionNumber, 12);
        Assert.True(diagnostics.Gramian.HasEigendecomposition);
    }

    [Fact]
    public void Diagnostics_weights_are_a_read_only_copy()
    {
        var weights = new[] { 0.5, 0.5 };
        var diagnostics = new GradientDiagnostics(Gramian.FromGradients(new double[,] { { 1, 0 }, { 0, 1 } }), weights);
        weights[0] = 9;
        Assert.Equal(0.5, diagnostics.Weights[0]);
        Assert.False(diagnostics.Weights is double[]);
    }

    [Fact]
    public void One_stateless_weighting_serves_several_threads()
    {
        var gramian = Gramian.FromGradients(Weightings.GradientCases.Conflicting(8, 4));
        var cagrad = new CAGrad();
        var expected = cagrad.ComputeWeights(gramian);
        var results = Enumerable.Range(0, 8).AsParallel().Select(_ => cagrad.ComputeWeights(gramian)).ToArray();
        Assert.All(results, w => Assert.Equal(expected, w));
    }
}
