using System;
using GradSurgery.Tests.Literal;
using GradSurgery.Tests.Weightings;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace GradSurgery.Tests.Aggregation;

/// <summary>
/// The aggregation layer's contracts that the mutation run of issue #16 found unpinned: argument checks
/// with their parameter names and messages, the dtype each path accumulates in, the routes of the
/// shared tensor pipeline (strided inputs, strided destinations, reduced precision) and their boundaries.
/// </summary>
public class AggregationContractTests
{
    /// <summary>Values whose float32 rounding is visible (relative 10⁻⁸ detail) and whose float64 result is exact to 10⁻¹⁵.</summary>
    private static double[,] FineGradients()
    {
        var g = new double[3, 40];
        for (var t = 0; t < 3; t++)
        {
            for (var j = 0; j < 40; j++)
                g[t, j] = 1 + (((t * 40) + j + 1) * 1e-9 * (t % 2 == 0 ? 1 : -1));
        }
        return g;
    }

    private static void AssertClose(double[] expected, double[] actual, double relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var j = 0; j < expected.Length; j++)
            Assert.True(Math.Abs(expected[j] - actual[j]) <= relative * Math.Abs(expected[j]), $"entry {j}: {actual[j]:R} vs {expected[j]:R}");
    }

    [Fact]
    public void Null_tensors_are_rejected_with_their_parameter_names()
    {
        using var scope = NewDisposeScope();
        var aggregator = new Mean().Aggregator();
        Assert.Equal("gradients", Assert.Throws<ArgumentNullException>(() => aggregator.Aggregate(null!)).ParamName);
        Assert.Equal("gradients", Assert.Throws<ArgumentNullException>(() => aggregator.Aggregate(null!, torch.ones(2))).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentNullException>(() => aggregator.Aggregate(torch.ones(2, 2), null!)).ParamName);
    }

    [Fact]
    public void A_disposed_or_misshapen_input_is_named_in_the_message()
    {
        using var scope = NewDisposeScope();
        var aggregator = new Mean().Aggregator();
        var disposed = torch.ones(2, 3);
        disposed.Dispose();
        Assert.Equal("The gradient tensor has been disposed. (Parameter 'gradients')", Assert.Throws<ArgumentException>(() => aggregator.Aggregate(disposed)).Message);
        Assert.Equal(
            "Gradients must be a [T, P] matrix (one flattened task gradient per row); got rank 3 with shape [2, 3, 4]. (Parameter 'gradients')",
            Assert.Throws<ArgumentException>(() => aggregator.Aggregate(torch.ones(2, 3, 4))).Message);
        Assert.Equal(
            "The destination must be a [P] vector with P = 3; got shape [3, 1]. (Parameter 'destination')",
            Assert.Throws<ArgumentException>(() => aggregator.Aggregate(torch.ones(2, 3), torch.ones(3, 1))).Message);
        // The gradients are validated before the destination is looked at (whose check reads the gradients' shape).
        Assert.Contains("[T, P] matrix", Assert.Throws<ArgumentException>(() => aggregator.Aggregate(torch.ones(4), torch.ones(4))).Message);
    }

    [Fact]
    public void A_destination_on_another_device_is_rejected()
    {
        using var scope = NewDisposeScope();
        // The meta device holds shapes and dtypes without storage: a second device on any machine.
        var elsewhere = torch.empty(3, device: torch.META);
        var e = Assert.Throws<ArgumentException>(() => new Mean().Aggregator().Aggregate(torch.ones(2, 3), elsewhere));
        Assert.Equal("The destination is on meta, the gradients on cpu. (Parameter 'destination')", e.Message);
    }

    [Fact]
    public void One_parameter_is_a_valid_matrix()
    {
        using var scope = NewDisposeScope();
        var d = new Mean().Aggregator().Aggregate(torch.tensor(new double[,] { { 2 }, { 4 } }));
        Assert.Equal(new[] { 3.0 }, d.data<double>().ToArray());
    }

    [Fact]
    public void A_non_finite_gradient_names_the_gradients_parameter()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<NonFiniteGradientException>(() => new Mean().Aggregator().Aggregate(torch.tensor(new double[,] { { 1, 2 }, { double.NaN, 0 } })));
        Assert.Equal("gradients", e.ParamName);
        Assert.Equal(1, e.TaskIndex);
    }

    [Theory]
    [InlineData(ScalarType.Float64, Gramian.DoublePrecisionEpsilon)]
    [InlineData(ScalarType.Float32, Gramian.SinglePrecisionEpsilon)]
    [InlineData(ScalarType.Float16, Gramian.SinglePrecisionEpsilon)]
    [InlineData(ScalarType.BFloat16, Gramian.SinglePrecisionEpsilon)]
    public void The_Gram_matrix_carries_the_precision_it_was_accumulated_in(ScalarType dtype, double precision)
    {
        using var scope = NewDisposeScope();
        var g = torch.tensor(GradientCases.Conflicting(3, 4), dtype: ScalarType.Float64).to_type(dtype);
        var contiguous = new Mean().Aggregator().Aggregate(g, torch.empty(g.shape[1], dtype: dtype));
        Assert.Equal(precision, contiguous.Gramian.RelativePrecision);
        var strided = g.T.contiguous().T;
        Assert.NotEqual(1, strided.stride(1));
        Assert.Equal(precision, new Mean().Aggregator().Aggregate(strided, torch.empty(g.shape[1], dtype: dtype)).Gramian.RelativePrecision);
        Assert.Equal(precision, new TrimmedMean(1).Aggregate(g, torch.empty(g.shape[1], dtype: dtype)).Gramian.RelativePrecision);
    }

    [Fact]
    public void Float64_keeps_double_precision_on_every_route()
    {
        using var scope = NewDisposeScope();
        var host = FineGradients();
        var weights = new[] { 0.75, -1.25, 2.5 };
        var expected = Vectors.Combine(Vectors.Rows(host), weights);
        var exactGram = Gramian.FromGradients(host);
        var contiguous = torch.tensor(host, dtype: ScalarType.Float64);
        var strided = contiguous.T.contiguous().T;
        Assert.False(GradientMatrix.UsesCpuKernels(strided));
        Assert.False(GradientMatrix.UsesBlockConversion(strided));
        var interleaved = torch.zeros(host.GetLength(1), 2, dtype: ScalarType.Float64);
        var stridedDestination = interleaved.select(1, 0);
        Assert.Equal(2, stridedDestination.stride(0));
        foreach (var (name, g, destination) in new[]
        {
            ("contiguous", contiguous, torch.empty(host.GetLength(1), dtype: ScalarType.Float64)),
            ("strided G", strided, torch.empty(host.GetLength(1), dtype: ScalarType.Float64)),
            ("strided destination", contiguous, stridedDestination),
        })
        {
            var diagnostics = new Constant(weights).Aggregator().Aggregate(g, destination);
            AssertClose(expected, destination.contiguous().data<double>().ToArray(), 1e-14);
            for (var i = 0; i < 3; i++)
            {
                for (var j = 0; j < 3; j++)
                    Assert.True(Math.Abs(exactGram[i, j] - diagnostics.Gramian[i, j]) <= 1e-14 * exactGram[i, j], $"{name}: Gram [{i}, {j}]");
            }
        }
        Assert.True(interleaved.select(1, 1).eq(0).all().item<bool>(), "wrote outside the strided destination");
    }

    [Fact]
    public void A_strided_float32_matrix_longer_than_two_Gram_chunks_takes_the_plain_product()
    {
        using var scope = NewDisposeScope();
        // P = 2·2¹⁶ + 5 columns, G stored column-major: the chunked Gram's view needs contiguous rows.
        const long columns = (2L << 16) + 5;
        var g = torch.linspace(-1, 1, 2 * columns, dtype: ScalarType.Float32).reshape(columns, 2).T;
        Assert.NotEqual(1, g.stride(1));
        var gram = GradientMatrix.Gram(g).to_type(ScalarType.Float64);
        var expected = g.to_type(ScalarType.Float64).matmul(g.T.to_type(ScalarType.Float64));
        Assert.True(gram.allclose(expected, rtol: 1e-5, atol: 1e-5 * expected.max().item<double>()), "strided Gram");
        var d = new Sum().Aggregator().Aggregate(g);
        Assert.True(d.allclose(g.sum(dim: 0), rtol: 1e-6, atol: 1e-7), "strided combine");
    }

    [Fact]
    public void Reduced_precision_is_combined_with_float32_weights()
    {
        using var scope = NewDisposeScope();
        // A weight of 10⁻⁸ is below float16's smallest subnormal (6·10⁻⁸): combined in float16 it would be 0.
        var g = torch.tensor(new float[] { 60000, 30000, 60000, 30000 }, [2, 2]).to_type(ScalarType.Float16);
        Assert.True(GradientMatrix.UsesBlockConversion(g));
        var d = new Constant([1e-8, 1e-8]).Aggregator().Aggregate(g).to_type(ScalarType.Float64).data<double>().ToArray();
        Assert.Equal(1.2e-3, d[0], 2e-6);
        Assert.Equal(6e-4, d[1], 2e-6);
    }

    [Fact]
    public void Reduced_precision_is_summed_in_float32_by_the_elementwise_aggregators()
    {
        using var scope = NewDisposeScope();
        // 3 · 40000 overflows float16 (largest finite 65504); the mean, 40000, does not.
        var g = torch.full([3, 4], 40000f).to_type(ScalarType.Float16);
        foreach (var trim in new[] { 0, 1 })
            Assert.All(new TrimmedMean(trim).Aggregate(g).to_type(ScalarType.Float64).data<double>().ToArray(), v => Assert.Equal(40000, v));
        // GradDrop's purity per column of (30000, 30000, −20000): Σ|g| = 80000 overflows float16, which
        // would make it ½ instead of ¾; the kept sums (60000 or −20000) are representable either way.
        var mixed = torch.tensor(new float[] { 30000, 30000, -20000 }).unsqueeze(1).expand(3, 256).contiguous();
        var reference = new GradDrop(seed: 5).Aggregate(mixed).to_type(ScalarType.Float64);
        Assert.True(reference.eq(60000).any().item<bool>() && reference.eq(-20000).any().item<bool>(), "both signs drawn");
        Assert.True(new GradDrop(seed: 5).Aggregate(mixed.to_type(ScalarType.Float16)).to_type(ScalarType.Float64).eq(reference).all().item<bool>(), "float16 drew other signs than float32");
    }

    [Fact]
    public void A_float16_update_beyond_float16_range_in_norm_reports_its_norm()
    {
        using var scope = NewDisposeScope();
        // Every entry of the update is 30000 (representable); its norm, 30000·√64 = 240000, is not in float16.
        var g = torch.full([2, 64], 15000f).to_type(ScalarType.Float16);
        foreach (var aggregator in new IGradientAggregator[] { new GradDrop(seed: 1), new DbMtl(beta: 0), new GroupedAggregator([32, 32], () => new Sum()), new TrimmedMean(0) })
        {
            var destination = torch.empty(64, dtype: ScalarType.Float16);
            var diagnostics = aggregator.Aggregate(g, destination);
            var expected = aggregator is TrimmedMean ? 120000 : 240000;
            Assert.True(Math.Abs(diagnostics.UpdateNorm - expected) <= 1e-6 * expected, $"{aggregator.Name}: {diagnostics.UpdateNorm}");
        }
    }

    [Fact]
    public void A_strided_reduced_precision_matrix_is_accumulated_in_float32_before_its_Gram()
    {
        using var scope = NewDisposeScope();
        // ‖gₜ‖² = 2·300² = 180000 overflows float16: the Gram must be taken of a float32 copy.
        var g = torch.full(2, 2, 300f).to_type(ScalarType.Float16).T.contiguous().T;
        Assert.False(GradientMatrix.UsesBlockConversion(g));
        var diagnostics = new Mean().Aggregator().Aggregate(g, torch.empty(2, dtype: ScalarType.Float16));
        Assert.Equal(180000, diagnostics.Gramian[0, 0]);
    }

    [Fact]
    public void Weighing_alone_validates_the_gradients()
    {
        using var scope = NewDisposeScope();
        var aggregator = new GramianWeightedAggregator(new Mean());
        Assert.Contains("rank 1", Assert.Throws<ArgumentException>(() => aggregator.Weigh(torch.ones(3))).Message);
        Assert.Equal(new[] { 0.5, 0.5 }, aggregator.Weigh(torch.ones(2, 3)).Weights);
    }

    [Fact]
    public void TrimmedMean_states_its_range_and_needs_more_than_2f_tasks()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new TrimmedMean(-1));
        Assert.StartsWith("TrimmedMean's trimCount must be ≥ 0.", e.Message, StringComparison.Ordinal);
        Assert.Equal("TrimmedMean", new TrimmedMean(1).Name);
        Assert.Equal("TrimmedMean with f = 1 needs more than 2f = 2 tasks; got 2. (Parameter 'gradients')", Assert.Throws<ArgumentException>(() => new TrimmedMean(1).Aggregate(torch.ones(2, 3))).Message);
        Assert.Equal(new[] { 2.0 }, new TrimmedMean(1).Aggregate(torch.tensor(new double[,] { { 1 }, { 2 }, { 9 } })).data<double>().ToArray());
    }

    [Fact]
    public void GradDrop_reports_its_name_and_leaks()
    {
        Assert.Equal("GradDrop", new GradDrop(seed: 1).Name);
        Assert.Empty(new GradDrop(seed: 1).Leaks);
        Assert.Equal(new[] { 0.25, 1 }, new GradDrop([0.25, 1], seed: 1).Leaks);
    }

    [Theory]
    [InlineData(1.0, 0.0, "beta")]
    [InlineData(-0.1, 0.0, "beta")]
    [InlineData(double.NaN, 0.0, "beta")]
    [InlineData(0.5, -1.0, "betaSigma")]
    [InlineData(0.5, double.PositiveInfinity, "betaSigma")]
    [InlineData(0.5, double.NaN, "betaSigma")]
    public void DbMtl_rejects_hyperparameters_out_of_range(double beta, double sigma, string parameter)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DbMtl(beta, sigma));
        Assert.Equal(parameter, e.ParamName);
        Assert.StartsWith(parameter == "beta" ? "DB-MTL's beta must be in [0, 1)." : "DB-MTL's betaSigma must be finite and ≥ 0.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DbMtl_accepts_its_range_ends_and_names_itself()
    {
        Assert.Equal(0, new DbMtl(0, 0).Beta);
        Assert.Equal(0.999, new DbMtl(0.999, 3).Beta);
        Assert.Equal("DB-MTL", new DbMtl().Name);
    }

    [Fact]
    public void DbMtl_names_both_shapes_when_the_gradients_change_shape()
    {
        using var scope = NewDisposeScope();
        var dbmtl = new DbMtl();
        dbmtl.Aggregate(torch.ones(2, 2, dtype: ScalarType.Float64));
        var e = Assert.Throws<ArgumentException>(() => dbmtl.Aggregate(torch.ones(2, 3, dtype: ScalarType.Float64)));
        Assert.Equal("DB-MTL averages gradients of shape [2, 2] (Float64 on cpu); got [2, 3] (Float64 on cpu). Call Reset() to start over. (Parameter 'gradients')", e.Message);
    }

    [Fact]
    public void DbMtl_releases_its_average_on_reset()
    {
        using var scope = NewDisposeScope();
        var dbmtl = new DbMtl();
        var g = torch.ones(2, 2, dtype: ScalarType.Float64);
        var d = dbmtl.Aggregate(g);
        d.Dispose();
        // Read twice without a collection in between: the release must be Reset's own, not a finalizer's.
        var before = LiveTensors.Count();
        dbmtl.Reset();
        var after = Tensor.TotalCount;
        Assert.Equal(before - 1, after);
    }

    [Fact]
    public void GroupedAggregator_names_its_null_arguments_and_accepts_a_one_column_group()
    {
        using var scope = NewDisposeScope();
        Assert.Equal("groupSizes", Assert.Throws<ArgumentNullException>(() => new GroupedAggregator(null!, () => new Mean())).ParamName);
        Assert.Equal("createWeighting", Assert.Throws<ArgumentNullException>(() => new GroupedAggregator([2], null!)).ParamName);
        Assert.Equal("parameters", Assert.Throws<ArgumentNullException>(() => GroupedAggregator.PerParameter(null!, () => new Mean())).ParamName);
        var e = Assert.Throws<ArgumentNullException>(() => new GroupedAggregator([3], () => null!));
        Assert.Equal("createWeighting", e.ParamName);
        Assert.StartsWith("The weighting factory returned null.", e.Message, StringComparison.Ordinal);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => new GroupedAggregator([1, 1], () => new Mean()).WeightingOf(2));
        Assert.StartsWith("There are 2 groups.", range.Message, StringComparison.Ordinal);
        Assert.Equal("group", range.ParamName);
        var grouped = new GroupedAggregator([1, 2], () => new Sum());
        Assert.Equal(new long[] { 1, 2 }, grouped.GroupSizes);
        Assert.Equal(new[] { 4.0, 6, 8 }, grouped.Aggregate(torch.tensor(new double[,] { { 1, 2, 3 }, { 3, 4, 5 } })).data<double>().ToArray());
    }
}
