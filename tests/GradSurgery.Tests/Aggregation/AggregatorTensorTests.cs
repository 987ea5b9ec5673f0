using System;
using System.Collections.Generic;
using System.Linq;
using GradSurgery.Tests.Literal;
using GradSurgery.Tests.Weightings;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace GradSurgery.Tests.Aggregation;

/// <summary>The tensor half of the pipeline: shapes, dtypes, devices, validation, and agreement with the host math.</summary>
public class AggregatorTensorTests
{
    public static IEnumerable<object[]> Methods() => MethodFactories.All();

    private static Tensor FromArray(double[,] values, ScalarType dtype, string device = "cpu")
    {
        var flat = values.Cast<double>().ToArray();
        return torch.tensor(flat, new long[] { values.GetLength(0), values.GetLength(1) }, dtype: ScalarType.Float64).to(dtype).to(device);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Float64_aggregation_equals_the_host_computation(string name, Func<IGramianWeighting> create)
    {
        var g = GradientCases.Conflicting(4, 3);
        using var scope = NewDisposeScope();
        var tensor = FromArray(g, ScalarType.Float64);
        var before = tensor.clone();
        var d = create().Aggregator().Aggregate(tensor).data<double>().ToArray();
        GramSpace.AssertClose(GramSpace.Update(create(), g), d, 1e-12, GramSpace.Scale(g), name);
        Assert.True(tensor.allclose(before, rtol: 0, atol: 0), "the input was modified");
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Output_keeps_dtype_and_device_and_reduced_precision_agrees_with_float32(string name, Func<IGramianWeighting> create)
    {
        var g = GradientCases.Conflicting(3, 4);
        using var scope = NewDisposeScope();
        var reference = create().Aggregator().Aggregate(FromArray(g, ScalarType.Float32));
        Assert.Equal(ScalarType.Float32, reference.dtype);
        Assert.Equal(new long[] { GradientCases.Parameters }, reference.shape);
        var scale = GramSpace.Scale(g);
        foreach (var (dtype, tolerance) in new[] { (ScalarType.Float16, 4e-3), (ScalarType.BFloat16, 3e-2), (ScalarType.Float64, 1e-5) })
        {
            var d = create().Aggregator().Aggregate(FromArray(g, dtype));
            Assert.Equal(dtype, d.dtype);
            Assert.Equal(DeviceType.CPU, d.device_type);
            var error = (d.to_type(ScalarType.Float64) - reference.to_type(ScalarType.Float64)).abs().max().item<double>();
            Assert.True(error <= tolerance * scale, $"{name} {dtype}: error {error / scale:E2} relative");
        }
    }

    [Fact]
    public void Runs_on_the_cpu() => AssertKeepsDevice("cpu");

    [CudaFact]
    public void Runs_on_cuda_keeping_dtype_and_device() => AssertKeepsDevice("cuda");

    private static void AssertKeepsDevice(string device)
    {
        using var scope = NewDisposeScope();
        foreach (var (_, factory) in Methods().Select(m => ((string)m[0], (Func<IGramianWeighting>)m[1])))
        {
            foreach (var dtype in new[] { ScalarType.Float16, ScalarType.BFloat16, ScalarType.Float32, ScalarType.Float64 })
            {
                var g = FromArray(GradientCases.Conflicting(3, 9), dtype, device);
                var d = factory().Aggregator().Aggregate(g);
                Assert.Equal(g.device_type, d.device_type);
                Assert.Equal(dtype, d.dtype);
            }
        }
    }

    [Theory]
    [InlineData(131_072, 0)]       // exactly two chunks of the chunked Gram
    [InlineData(300_001, 0)]       // four chunks and a tail
    [InlineData(300_001, 7)]       // rows of a wider buffer (row stride > P)
    [InlineData(65_000, 0)]        // below two chunks: the plain product
    public void Chunked_gram_equals_the_float64_product(int p, int padding)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var wide = randn(5, p + padding);
        var g = wide.narrow(1, 0, p);
        var expected = g.to_type(ScalarType.Float64).matmul(g.to_type(ScalarType.Float64).T);
        var gram = GradientMatrix.Gram(g).to_type(ScalarType.Float64);
        var scale = expected.diagonal().max().item<double>();
        Assert.True((gram - expected).abs().max().item<double>() <= 1e-5 * scale);
        var gramian = GradientMatrix.ComputeGramian(g);
        Assert.Equal(expected[1, 3].item<double>(), gramian[1, 3], 1e-5 * scale);
    }

    [Fact]
    public void Aggregate_into_a_kept_buffer_writes_in_place_and_returns_the_weights()
    {
        using var scope = NewDisposeScope();
        var g = FromArray(GradientCases.Conflicting(3, 2), ScalarType.Float32);
        var buffer = torch.full(GradientCases.Parameters, float.NaN);
        var alias = buffer.narrow(0, 0, 3);
        var weights = new Mean().Aggregator().Aggregate(g, buffer).Weights;
        Assert.True(alias.allclose(g.mean(new long[] { 0 }).narrow(0, 0, 3), rtol: 1e-6, atol: 1e-6), "the buffer was replaced, not written in place");
        Assert.True(buffer.allclose(g.mean(new long[] { 0 }), rtol: 1e-6, atol: 1e-6));
        Assert.Equal(new[] { 1.0 / 3, 1.0 / 3, 1.0 / 3 }, weights, new ToleranceComparer(1e-15));
    }

    [Fact]
    public void Diagnostics_report_norms_cosines_conflicts_and_condition_number()
    {
        using var scope = NewDisposeScope();
        var pcgrad = new PCGrad(order: PCGradTaskOrder.Fixed).Aggregator();
        var diagnostics = pcgrad.Aggregate(torch.tensor(new double[] { -4, 1, 1, 6, 1, 1 }, new long[] { 2, 3 }), torch.empty(3, dtype: ScalarType.Float64));
        Assert.Equal(Math.Sqrt(18), diagnostics.GradientNorms[0], 12);
        Assert.Equal(Math.Sqrt(38), diagnostics.GradientNorms[1], 12);
        Assert.Equal(-22 / Math.Sqrt(18 * 38), diagnostics.Cosine(0, 1), 12);
        Assert.Equal(1, diagnostics.ConflictingPairs);
        // Eigenvalues of [[18, -22], [-22, 38]]: 28 ± √(100 + 484).
        Assert.Equal(Math.Sqrt((28 + Math.Sqrt(584)) / (28 - Math.Sqrt(584))), diagnostics.ConditionNumber, 10);
        Assert.Equal(1 + (22.0 / 18), diagnostics.Weights[0], 12);
        Assert.Equal(Vectors.Norm(new[] { 0.5848, 3.8012, 3.8012 }), diagnostics.UpdateNorm, 3);
    }

    [Fact]
    public void Dependent_gradients_have_infinite_condition_number()
    {
        using var scope = NewDisposeScope();
        var diagnostics = new Mean().Aggregator().Aggregate(torch.tensor(new double[] { 1, 2, 2, 4 }, new long[] { 2, 2 }), torch.empty(2, dtype: ScalarType.Float64));
        Assert.Equal(double.PositiveInfinity, diagnostics.ConditionNumber);
    }

    public static IEnumerable<object[]> BadInputs()
    {
        yield return new object[] { "rank 1", new Func<Tensor>(() => torch.ones(5)), "rank 1" };
        yield return new object[] { "rank 3", new Func<Tensor>(() => torch.ones(2, 3, 4)), "rank 3" };
        yield return new object[] { "T = 0", new Func<Tensor>(() => torch.ones(0, 4)), "T = 0" };
        yield return new object[] { "P = 0", new Func<Tensor>(() => torch.ones(2, 0)), "P ≥ 1" };
        yield return new object[] { "int64", new Func<Tensor>(() => torch.ones(2, 3, dtype: ScalarType.Int64)), "Int64" };
        yield return new object[] { "NaN", new Func<Tensor>(() => torch.tensor(new float[] { 1, 2, float.NaN, 4 }, new long[] { 2, 2 })), "task 1 contains NaN" };
        yield return new object[] { "Inf", new Func<Tensor>(() => torch.tensor(new float[] { float.NegativeInfinity, 2, 3, 4 }, new long[] { 2, 2 })), "task 0 contains NaN or infinite" };
    }

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void Bad_input_is_rejected_with_a_message_naming_the_problem(string name, Func<Tensor> create, string expected)
    {
        using var scope = NewDisposeScope();
        var input = create();
        foreach (var (_, factory) in Methods().Select(m => ((string)m[0], (Func<IGramianWeighting>)m[1])))
        {
            var e = Assert.ThrowsAny<ArgumentException>(() => factory().Aggregator().Aggregate(input));
            Assert.Contains(expected, e.Message);
            Assert.NotNull(name);
        }
    }

    [Fact]
    public void Bad_input_leaves_the_destination_untouched()
    {
        using var scope = NewDisposeScope();
        var g = torch.tensor(new float[] { 1, 2, float.NaN, 4 }, new long[] { 2, 2 });
        var destination = torch.tensor(new float[] { 7, 8 });
        Assert.ThrowsAny<ArgumentException>(() => new Sum().Aggregator().Aggregate(g, destination));
        Assert.Equal(new float[] { 7, 8 }, destination.data<float>().ToArray());
        Assert.Contains("[P] vector with P = 2", Assert.Throws<ArgumentException>(() => new Sum().Aggregator().Aggregate(torch.ones(2, 2), torch.ones(3))).Message);
        Assert.Contains("dtype", Assert.Throws<ArgumentException>(() => new Sum().Aggregator().Aggregate(torch.ones(2, 2), torch.ones(2, dtype: ScalarType.Float64))).Message);
    }

    [Fact]
    public void No_tensor_outlives_an_aggregation()
    {
        using var scope = NewDisposeScope();
        var g = FromArray(GradientCases.Conflicting(4, 2), ScalarType.Float16);
        var buffer = torch.zeros(GradientCases.Parameters, dtype: ScalarType.Float16);
        var aggregator = new CAGrad().Aggregator();
        aggregator.Aggregate(g, buffer);
        var live = LiveTensors.Count();
        for (var i = 0; i < 50; i++)
            aggregator.Aggregate(g, buffer);
        Assert.Equal(live, LiveTensors.Count());
    }
}
