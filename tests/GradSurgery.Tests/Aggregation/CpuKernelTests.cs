using System;
using System.Linq;
using Xunit;
using static TorchSharp.torch;

namespace GradSurgery.Tests.Aggregation;

/// <summary>
/// The CPU kernels (<see cref="CpuGram"/>, <see cref="CpuCombine"/>) against a double-precision host
/// computation from the tensor's own values, on every code path: register tiles and the 1–3 leftover rows
/// (T = 1 … 17), the column tail past the last vector and the split between workers, rows that start
/// further apart than P (a view of a wider matrix) or at an offset, an output that is itself a view, and
/// the streaming-store path of large outputs.
/// </summary>
public class CpuKernelTests
{
    /// <summary>
    /// Columns: one element, under one vector, one vector plus one, a size split between workers with a
    /// ragged tail, and one large enough that every worker's piece holds several chunks (the lane sums
    /// then carry over from chunk to chunk between two flushes).
    /// </summary>
    private static readonly long[] Columns = [1, 15, 17, 3 * 65_536 + 5, 1_000_003];

    public static TheoryData<int, ScalarType> Shapes()
    {
        var data = new TheoryData<int, ScalarType>();
        foreach (var t in new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 17 })
        {
            data.Add(t, ScalarType.Float32);
        }
        foreach (var t in new[] { 1, 3, 4, 9 })
        {
            data.Add(t, ScalarType.Float64);
        }
        return data;
    }

    private static double[] Values(Tensor g) => g.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();

    private static double[,] HostGram(Tensor g)
    {
        var t = (int)g.shape[0];
        var p = (int)g.shape[1];
        var x = Values(g);
        var m = new double[t, t];
        for (var i = 0; i < t; i++)
        {
            for (var j = 0; j < t; j++)
            {
                var sum = 0.0;
                for (var c = 0; c < p; c++)
                    sum += x[(i * p) + c] * x[(j * p) + c];
                m[i, j] = sum;
            }
        }
        return m;
    }

    /// <summary>Round-off allowance of a dot product in <paramref name="dtype"/>, relative to ‖gᵢ‖‖gⱼ‖ (float32 over 10⁶ columns: <see cref="LongSumAllowance"/>).</summary>
    private static double Allowance(ScalarType dtype, long columns = 0) =>
        dtype == ScalarType.Float64 ? 1e-13 : columns > ShortColumns ? LongSumAllowance : 2e-6;

    /// <summary>Columns up to which a float32 dot product stays within 2e-6 of ‖gᵢ‖‖gⱼ‖ in these tests.</summary>
    private const long ShortColumns = 1 << 18;

    /// <summary>Round-off allowance of a float32 Gram over about 10⁶ columns: lanes of 4 096 float32 products, added in double.</summary>
    private const double LongSumAllowance = 1e-5;

    private static void AssertGram(Tensor g, double[] actual)
    {
        var t = (int)g.shape[0];
        var expected = HostGram(g);
        for (var i = 0; i < t; i++)
        {
            for (var j = 0; j < t; j++)
            {
                var scale = Math.Sqrt(expected[i, i] * expected[j, j]) + double.Epsilon;
                Assert.True(Math.Abs(actual[(i * t) + j] - expected[i, j]) <= Allowance(g.dtype, g.shape[1]) * scale,
                    $"M[{i},{j}] = {actual[(i * t) + j]}, expected {expected[i, j]} (T = {t}, P = {g.shape[1]}, {g.dtype})");
                Assert.Equal(actual[(i * t) + j], actual[(j * t) + i]);
            }
        }
    }

    [KernelTheory]
    [MemberData(nameof(Shapes))]
    public void The_gram_kernel_equals_the_host_gram_for_every_tile_and_tail(int t, ScalarType dtype)
    {
        foreach (var p in Columns)
        {
            using var scope = NewDisposeScope();
            var g = randn(t, p, dtype: dtype, generator: new Generator((ulong)(t * 31 + p)));
            Assert.True(GradientMatrix.UsesCpuKernels(g));
            AssertGram(g, GradientMatrix.CpuGramOf(g));
        }
    }

    [KernelFact]
    public void Lane_sums_are_added_into_double_every_4096_products_so_small_terms_after_large_ones_count()
    {
        // T = 2: a chunk holds 2 048 vectors per row, so a lane is flushed after every second chunk (4 096
        // products) and a piece of 4 chunks (2¹⁷ columns) flushes once inside. In each piece the first
        // half is 64 (each lane reaches 4 096 · 64² = 2²⁴ by the flush) and the second half is 1. Added to a
        // float32 lane still holding 2²⁴, a 1 rounds away (2²⁴ + 1 ties to 2²⁴); flushed, the ones add up
        // exactly, and the Gram is exact.
        const long piece = 1 << 17;
        const long columns = 1 << 21;
        using var scope = NewDisposeScope();
        var half = cat([full(piece / 2, 64f), ones(piece / 2)]);
        var g = stack([half.repeat(columns / piece), half.repeat(columns / piece)]);
        var gram = GradientMatrix.CpuGramOf(g);
        var exact = (columns / 2 * 4096.0) + (columns / 2);
        Assert.Equal([exact, exact, exact, exact], gram);
    }

    [Theory]
    [InlineData(16, 256, 24)]
    [InlineData(12, 341, 32)]
    [InlineData(5, 819, 76)]
    [InlineData(400, 10, 1)]
    [InlineData(4, 1_024, 1_024)]
    [InlineData(2, 2_048, 2_048)]
    public void A_sub_block_is_24_KiB_of_the_rows_in_whole_vectors_and_the_whole_chunk_for_one_tile(int rows, long vectors, long expected)
    {
        Assert.Equal(expected, CpuGram.SubBlockVectors<float>(rows, vectors));
        // A vector is 64 bytes in either dtype: float64 sub-blocks hold as many vectors (half the columns).
        Assert.Equal(expected, CpuGram.SubBlockVectors<double>(rows, vectors));
    }

    [Fact]
    public void A_matrix_is_past_the_cache_from_exactly_24_MiB_in_its_own_dtype()
    {
        Assert.True(Lanes.IsPastCache<float>(6, 1 << 20));
        Assert.False(Lanes.IsPastCache<float>(6, (1 << 20) - 1));
        Assert.True(Lanes.IsPastCache<double>(3, 1 << 20));
        Assert.False(Lanes.IsPastCache<double>(2, 1 << 20));
        // The product is taken in 64 bits: 2³¹ columns of 16 rows do not wrap around.
        Assert.True(Lanes.IsPastCache<float>(16, 1L << 31));
    }

    [KernelTheory]
    // Past the 24 MiB prefetch threshold (T > 4): every chunk's tiles prefetch the next chunk, whose last
    // one is short (a ragged piece end), and the column tail follows.
    [InlineData(5, 1_300_007, ScalarType.Float32)]
    [InlineData(16, 400_009, ScalarType.Float32)]
    [InlineData(6, 550_003, ScalarType.Float64)]
    public void The_gram_kernel_that_prefetches_the_next_chunk_equals_the_host_gram(int t, long p, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var g = randn(t, p, dtype: dtype, generator: new Generator((ulong)(t + p)));
        Assert.True(t * p * g.ElementSize >= 24L << 20);
        AssertGram(g, GradientMatrix.CpuGramOf(g));
    }

    [KernelTheory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Rows_of_a_wider_matrix_and_rows_at_an_offset_are_read_in_place(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var wide = randn(7, 70_001, dtype: dtype, generator: new Generator(3));
        var view = wide.narrow(0, 1, 5).narrow(1, 3, 65_539);
        Assert.True(view.stride(0) > view.shape[1]);
        Assert.True(view.storage_offset() > 0);
        Assert.True(GradientMatrix.UsesCpuKernels(view));
        AssertGram(view, GradientMatrix.CpuGramOf(view));
    }

    [Fact]
    public void Columns_that_are_not_contiguous_take_libtorchs_product()
    {
        using var scope = NewDisposeScope();
        var g = randn(300, 4, generator: new Generator(5)).T;
        Assert.False(GradientMatrix.UsesCpuKernels(g));
        var gramian = GradientMatrix.ComputeGramian(g);
        var expected = HostGram(g);
        for (var i = 0; i < 4; i++)
        {
            for (var j = 0; j < 4; j++)
                Assert.Equal(expected[i, j], gramian[i, j], 1e-3);
        }
    }

    [KernelFact]
    public void One_worker_and_two_workers_give_the_same_gram_up_to_round_off()
    {
        using var scope = NewDisposeScope();
        var g = randn(6, 1_000_003, generator: new Generator(11));
        var threads = get_num_threads();
        try
        {
            set_num_threads(1);
            var one = GradientMatrix.CpuGramOf(g);
            set_num_threads(2);
            var two = GradientMatrix.CpuGramOf(g);
            for (var i = 0; i < 6; i++)
            {
                for (var j = 0; j < 6; j++)
                    Assert.Equal(one[(i * 6) + j], two[(i * 6) + j], Math.Sqrt(one[(i * 6) + i] * one[(j * 6) + j]) * Allowance(ScalarType.Float32));
            }
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    private static double[] HostCombine(Tensor g, double[] w)
    {
        var t = (int)g.shape[0];
        var p = (int)g.shape[1];
        var x = Values(g);
        var d = new double[p];
        for (var c = 0; c < p; c++)
        {
            for (var i = 0; i < t; i++)
                d[c] += w[i] * x[(i * p) + c];
        }
        return d;
    }

    private static void AssertCombine(Tensor g, double[] w, Tensor destination)
    {
        GradientMatrix.Combine(g, w, destination);
        var expected = HostCombine(g, w);
        var actual = Values(destination);
        Assert.All(actual, a => Assert.True(double.IsFinite(a), "an output was not written (the destination starts as NaN)"));
        var allowance = (g.dtype == ScalarType.Float64 ? 1e-13 : 1e-6) * g.shape[0];
        var worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        var scale = expected.Max(Math.Abs) + 1;
        Assert.True(worst <= allowance * scale, $"combine error {worst / scale:E2} relative (T = {g.shape[0]}, P = {g.shape[1]}, {g.dtype})");
    }

    [KernelTheory]
    [MemberData(nameof(Shapes))]
    public void The_combine_kernel_equals_the_host_combination_for_every_unroll_and_tail(int t, ScalarType dtype)
    {
        foreach (var p in Columns)
        {
            using var scope = NewDisposeScope();
            var g = randn(t, p, dtype: dtype, generator: new Generator((ulong)(t * 17 + p)));
            var w = Enumerable.Range(0, t).Select(i => 0.5 - (0.25 * i)).ToArray();
            AssertCombine(g, w, full(p, double.NaN, dtype: dtype));
        }
    }

    [KernelFact]
    public void An_output_that_is_a_view_at_an_offset_is_written_in_place_and_nothing_beside_it()
    {
        using var scope = NewDisposeScope();
        var g = randn(3, 70_001, generator: new Generator(13));
        var buffer = full(70_003, 7f);
        var destination = buffer.narrow(0, 1, 70_001);
        AssertCombine(g, [1, -2, 0.5], destination);
        Assert.Equal(7f, buffer[0].item<float>());
        Assert.Equal(7f, buffer[70_002].item<float>());
    }

    [KernelFact]
    public void A_large_output_is_written_with_streaming_stores_and_reads_back_exactly()
    {
        using var scope = NewDisposeScope();
        // 2 × 3.2·10⁶ floats = 25.6 MB: past the streaming threshold, with a ragged tail.
        var g = randn(2, 3_200_007, generator: new Generator(17));
        AssertCombine(g, [0.75, -1.25], full(3_200_007, float.NaN));
        // The same size into a destination one float off the 64-byte alignment takes plain stores.
        var buffer = full(3_200_008, float.NaN);
        AssertCombine(g, [0.75, -1.25], buffer.narrow(0, 1, 3_200_007));
    }

    [KernelTheory]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Float16)]
    public void Reduced_precision_is_converted_block_by_block_and_gives_the_float32_results_of_its_values(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        // T = 2: 2¹⁹ columns per 4 MiB block, so three blocks, the last one ragged.
        var g = randn(2, 1_100_003, generator: new Generator(19)).to_type(dtype);
        Assert.True(GradientMatrix.UsesBlockConversion(g));
        var asFloat = g.to_type(ScalarType.Float32);
        var gramian = GradientMatrix.ComputeGramian(GradientMatrix.KernelInput(g));
        var expected = HostGram(asFloat);
        for (var i = 0; i < 2; i++)
        {
            for (var j = 0; j < 2; j++)
                Assert.Equal(expected[i, j], gramian[i, j], Math.Sqrt(expected[i, i] * expected[j, j]) * LongSumAllowance);
        }
        var destination = empty(1_100_003, dtype: dtype);
        GradientMatrix.Combine(GradientMatrix.KernelInput(g), [0.5, -1.5], destination);
        var reference = HostCombine(asFloat, [0.5, -1.5]);
        var actual = Values(destination);
        var rounding = dtype == ScalarType.BFloat16 ? 1.0 / 128 : 1.0 / 1024;
        Assert.All(Enumerable.Range(0, actual.Length).Where(k => k % 9_973 == 0 || k >= actual.Length - 20),
            k => Assert.True(Math.Abs(actual[k] - reference[k]) <= rounding * (Math.Abs(reference[k]) + 1e-3), $"d[{k}] = {actual[k]}, expected {reference[k]}"));
    }

    [KernelFact]
    public void A_non_finite_value_in_the_last_block_of_a_reduced_precision_matrix_is_reported_with_its_task()
    {
        using var scope = NewDisposeScope();
        var g = randn(3, 800_001, generator: new Generator(23)).to_type(ScalarType.BFloat16);
        g[2, 800_000] = float.PositiveInfinity;
        var error = Assert.Throws<NonFiniteGradientException>(() => GradientMatrix.ComputeGramian(GradientMatrix.KernelInput(g)));
        Assert.Equal(2, error.TaskIndex);
    }
}
