using System;
using System.Linq;
using GradSurgery.Tests.Weightings;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace GradSurgery.Tests.Aggregation;

/// <summary>DB-MTL's gradient half: hand-worked steps, a literal parameter-space version of the paper's update over several steps, and its state.</summary>
public class DbMtlTests
{
    /// <summary>The paper's update in parameter space: ĝ ← β_k·ĝ + (1 − β_k)·g, d = Σ (max‖ĝ‖/‖ĝₜ‖)·ĝₜ.</summary>
    private sealed class Literal(double beta, double sigma)
    {
        private double[][]? _average;
        private int _k;

        public double[] Step(double[][] g)
        {
            _average ??= g.Select(row => new double[row.Length]).ToArray();
            _k++;
            var decay = beta / Math.Pow(_k, sigma);
            for (var t = 0; t < g.Length; t++)
            {
                for (var j = 0; j < g[t].Length; j++)
                    _average[t][j] = (decay * _average[t][j]) + ((1 - decay) * g[t][j]);
            }
            var norms = _average.Select(row => Math.Sqrt(row.Sum(x => x * x))).ToArray();
            var update = new double[g[0].Length];
            for (var t = 0; t < g.Length; t++)
            {
                for (var j = 0; j < update.Length; j++)
                    update[j] += norms.Max() / norms[t] * _average[t][j];
            }
            return update;
        }
    }

    private static double[] Aggregate(DbMtl aggregator, double[,] g)
    {
        using var scope = NewDisposeScope();
        return aggregator.Aggregate(torch.tensor(g, dtype: ScalarType.Float64)).data<double>().ToArray();
    }

    [Fact]
    public void Each_task_contributes_with_the_largest_averaged_gradient_magnitude()
    {
        var dbmtl = new DbMtl(beta: 0);
        Assert.Equal([3.0, 3.0], Aggregate(dbmtl, new double[,] { { 3, 0 }, { 0, 1 } }));
        var averaged = new DbMtl();
        // β = 0.9 from zero: the first average is 0.1·g, the second 0.19·g (no bias correction, as LibMTL).
        var first = Aggregate(averaged, new double[,] { { 3, 0 }, { 0, 1 } });
        Assert.Equal(0.3, first[0], 12);
        Assert.Equal(0.3, first[1], 12);
        var second = Aggregate(averaged, new double[,] { { 3, 0 }, { 0, 1 } });
        Assert.Equal(0.57, second[0], 12);
        Assert.Equal(2, averaged.Calls);
    }

    [Theory]
    [InlineData(0.9, 0.0)]
    [InlineData(0.5, 0.5)]
    [InlineData(0.0, 0.0)]
    public void Matches_the_literal_update_over_drifting_steps(double beta, double sigma)
    {
        var random = new Random(4);
        var literal = new Literal(beta, sigma);
        var dbmtl = new DbMtl(beta, sigma);
        for (var step = 0; step < 6; step++)
        {
            var g = new double[3, 7];
            var rows = new double[3][];
            for (var t = 0; t < 3; t++)
            {
                rows[t] = new double[7];
                for (var j = 0; j < 7; j++)
                    g[t, j] = rows[t][j] = ((random.NextDouble() * 2) - 1) * (t + 1);
            }
            var expected = literal.Step(rows);
            var actual = Aggregate(dbmtl, g);
            for (var j = 0; j < 7; j++)
                Assert.Equal(expected[j], actual[j], 12);
        }
    }

    [Fact]
    public void A_zero_averaged_gradient_gets_weight_zero_instead_of_a_division_by_zero()
    {
        var update = Aggregate(new DbMtl(beta: 0), new double[,] { { 2, 0 }, { 0, 0 } });
        Assert.Equal([2.0, 0.0], update);
        Assert.Equal([0.0, 0.0], Aggregate(new DbMtl(), new double[,] { { 0, 0 }, { 0, 0 } }));
    }

    [Fact]
    public void Reset_restarts_the_average_and_a_new_shape_needs_it()
    {
        var dbmtl = new DbMtl();
        var first = Aggregate(dbmtl, new double[,] { { 1, 2 }, { 3, 4 } });
        Aggregate(dbmtl, new double[,] { { 5, 2 }, { 3, 1 } });
        var error = Assert.Throws<ArgumentException>(() => Aggregate(dbmtl, new double[,] { { 1, 2, 3 }, { 3, 4, 5 } }));
        Assert.Contains("Call Reset()", error.Message, StringComparison.Ordinal);
        dbmtl.Reset();
        Assert.Equal(0, dbmtl.Calls);
        Assert.Equal(first, Aggregate(dbmtl, new double[,] { { 1, 2 }, { 3, 4 } }));
        dbmtl.Dispose();
        Assert.Equal(0, dbmtl.Calls);
    }

    [Fact]
    public void Non_finite_gradients_leave_the_average_untouched()
    {
        using var scope = NewDisposeScope();
        var dbmtl = new DbMtl();
        var twin = new DbMtl();
        Aggregate(dbmtl, new double[,] { { 1, 2 }, { 3, 4 } });
        Aggregate(twin, new double[,] { { 1, 2 }, { 3, 4 } });
        Assert.Throws<NonFiniteGradientException>(() => Aggregate(dbmtl, new double[,] { { double.NaN, 2 }, { 3, 4 } }));
        Assert.Equal(1, dbmtl.Calls);
        Assert.Equal(Aggregate(twin, new double[,] { { 2, 2 }, { 1, 4 } }), Aggregate(dbmtl, new double[,] { { 2, 2 }, { 1, 4 } }));
    }

    [Fact]
    public void Diagnostics_describe_the_current_gradients_and_are_unweighted()
    {
        using var scope = NewDisposeScope();
        var g = torch.tensor(GradientCases.Conflicting(3, 4), dtype: ScalarType.Float64);
        var destination = torch.empty(g.shape[1], dtype: ScalarType.Float64);
        var diagnostics = new DbMtl().Aggregate(g, destination);
        Assert.False(diagnostics.IsWeighted);
        Assert.Equal(destination.norm().item<double>(), diagnostics.UpdateNorm, 12);
        Assert.Equal(g.matmul(g.T)[0, 0].item<double>(), diagnostics.Gramian[0, 0], 10);
    }
}
