using System;
using TorchSharp;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>Validation of the [T, P] gradient matrix and the tensor half of the pipeline: M = G·Gᵀ and d = wᵀ·G.</summary>
internal static class GradientMatrix
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the problem when <paramref name="gradients"/> is not a usable [T, P] matrix.</summary>
    public static void Validate(Tensor gradients, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(gradients, parameterName);
        if (gradients.IsInvalid)
            throw new ArgumentException("The gradient tensor has been disposed.", parameterName);
        if (gradients.dim() != 2)
            throw new ArgumentException($"Gradients must be a [T, P] matrix (one flattened task gradient per row); got rank {gradients.dim()} with shape [{string.Join(", ", gradients.shape)}].", parameterName);
        if (gradients.shape[0] < 1)
            throw new ArgumentException("Gradients must hold at least one task (T ≥ 1); got an empty task list (T = 0).", parameterName);
        if (gradients.shape[1] < 1)
            throw new ArgumentException($"Gradients must have at least one parameter (P ≥ 1); got shape [{gradients.shape[0]}, 0].", parameterName);
        if (!IsSupported(gradients.dtype))
            throw new ArgumentException($"Gradients must be float16, bfloat16, float32 or float64; got {gradients.dtype}.", parameterName);
    }

    /// <summary>Throws when <paramref name="destination"/> cannot receive the update of <paramref name="gradients"/>.</summary>
    public static void ValidateDestination(Tensor gradients, Tensor destination, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(destination, parameterName);
        if (destination.dim() != 1 || destination.shape[0] != gradients.shape[1])
            throw new ArgumentException($"The destination must be a [P] vector with P = {gradients.shape[1]}; got shape [{string.Join(", ", destination.shape)}].", parameterName);
        if (destination.dtype != gradients.dtype)
            throw new ArgumentException($"The destination dtype {destination.dtype} differs from the gradients' {gradients.dtype}.", parameterName);
        if (destination.device.ToString() != gradients.device.ToString())
            throw new ArgumentException($"The destination is on {destination.device}, the gradients on {gradients.device}.", parameterName);
    }

    /// <summary>
    /// <see cref="IGradientAggregator.Aggregate(Tensor)"/> for any aggregator: validates, allocates the
    /// [P] result and lets <paramref name="combine"/> write into it.
    /// </summary>
    public static Tensor AggregateToNew(Tensor gradients, Func<Tensor, Tensor, GradientDiagnostics> combine)
    {
        Validate(gradients, nameof(gradients));
        using var scope = NewDisposeScope();
        var destination = torch.empty(gradients.shape[1], dtype: gradients.dtype, device: gradients.device);
        combine(gradients, destination);
        return destination.MoveToOuterDisposeScope();
    }

    /// <summary><see cref="IGradientAggregator.Aggregate(Tensor, Tensor)"/> for any aggregator: validates both tensors, then combines.</summary>
    public static GradientDiagnostics AggregateInto(Tensor gradients, Tensor destination, Func<Tensor, Tensor, GradientDiagnostics> combine)
    {
        Validate(gradients, nameof(gradients));
        ValidateDestination(gradients, destination, nameof(destination));
        return combine(gradients, destination);
    }

    public static bool IsSupported(ScalarType dtype) =>
        dtype is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;

    /// <summary>Reduced precision is accumulated in float32; float32 and float64 as they are.</summary>
    public static ScalarType AccumulationType(ScalarType dtype) =>
        dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;

    /// <summary>
    /// ‖<paramref name="update"/>‖ on the host, accumulated in its <see cref="AccumulationType"/>: the norm of
    /// a float16 update whose every entry is representable can still exceed float16's range (65504).
    /// Reduced precision costs one float32 copy of the [P] update.
    /// </summary>
    public static double UpdateNorm(Tensor update)
    {
        using var scope = NewDisposeScope();
        var accumulation = AccumulationType(update.dtype);
        var accumulated = update.dtype == accumulation ? update : update.to_type(accumulation);
        return accumulated.norm().to_type(ScalarType.Float64).item<double>();
    }

    /// <summary><paramref name="gradients"/> itself in float32/float64; a float32 copy (in the current dispose scope) of float16/bfloat16.</summary>
    public static Tensor Accumulated(Tensor gradients)
    {
        var accumulation = AccumulationType(gradients.dtype);
        return gradients.dtype == accumulation ? gradients : gradients.to_type(accumulation);
    }

    /// <summary>
    /// What the Gram and the combine read: <paramref name="gradients"/> itself where the CPU kernels take
    /// its dtype (float32 and float64 directly, float16 and bfloat16 converted block by block), else
    /// <see cref="Accumulated"/>.
    /// </summary>
    public static Tensor KernelInput(Tensor gradients) =>
        UsesCpuKernels(gradients) || UsesBlockConversion(gradients) ? gradients : Accumulated(gradients);

    /// <summary>
    /// Whether <paramref name="g"/> is a float16/bfloat16 CPU matrix with contiguous rows that the kernels
    /// read through a float32 block buffer (<see cref="BlockGram"/>, <see cref="BlockCombine"/>) instead
    /// of a whole float32 copy of G: a fresh [T, P] copy costs its page faults on every call (measured
    /// 6–44× the machine's limit at P = 10⁶–10⁷).
    /// </summary>
    internal static bool UsesBlockConversion(Tensor g) =>
        Lanes.IsSupported && g.device_type == DeviceType.CPU
        && g.dtype is ScalarType.Float16 or ScalarType.BFloat16
        && g.dim() == 2 && g.stride(1) == 1 && g.shape[0] <= int.MaxValue;

    /// <summary>
    /// Bytes of the float32 block buffer of <see cref="UsesBlockConversion"/>: 4 MiB stays in the caches
    /// between its conversion and the kernel's read, and is large enough that the few native calls per
    /// block cost under 1% of the conversion.
    /// </summary>
    private const long ConversionBytes = 4L << 20;

    /// <summary>Columns per conversion block for <paramref name="rows"/> rows: whole vectors, at most P.</summary>
    private static long ConversionColumns(long rows, long columns) =>
        Math.Min(columns, Math.Max(Lanes.Width<float>(), ConversionBytes / (sizeof(float) * rows) / Lanes.Width<float>() * Lanes.Width<float>()));

    /// <summary>The Gram of a reduced-precision matrix (<see cref="UsesBlockConversion"/>) in float32 blocks, added in double.</summary>
    private static double[] BlockGram(Tensor g)
    {
        var gram = new double[g.shape[0] * g.shape[0]];
        ForEachConvertedBlock(g, (block, _, _) =>
        {
            var part = CpuGramOf(block);
            for (var k = 0; k < gram.Length; k++)
                gram[k] += part[k];
        });
        return gram;
    }

    /// <summary>destination ← wᵀ·G for a reduced-precision G (<see cref="UsesBlockConversion"/>) and destination of its dtype, in float32 blocks.</summary>
    private static void BlockCombine(Tensor g, double[] weights, Tensor destination)
    {
        using var scope = NewDisposeScope();
        var output = torch.empty(ConversionColumns(g.shape[0], g.shape[1]), dtype: ScalarType.Float32);
        ForEachConvertedBlock(g, (block, start, n) =>
        {
            var result = n == output.shape[0] ? output : output.narrow(0, 0, n);
            CpuCombineInto(block, weights, result);
            destination.narrow(0, start, n).copy_(result);
        });
    }

    /// <summary>
    /// Converts <paramref name="g"/> to float32 one block of columns at a time into one reused buffer and
    /// calls <paramref name="body"/>(block, first column, columns) for each: the one read of G either pass makes.
    /// </summary>
    private static void ForEachConvertedBlock(Tensor g, Action<Tensor, long, long> body)
    {
        using var scope = NewDisposeScope();
        var rows = g.shape[0];
        var columns = g.shape[1];
        var width = ConversionColumns(rows, columns);
        var buffer = torch.empty(rows, width, dtype: ScalarType.Float32);
        for (var start = 0L; start < columns; start += width)
        {
            var n = Math.Min(width, columns - start);
            using var inner = NewDisposeScope();
            var block = n == width ? buffer : buffer.narrow(1, 0, n);
            block.copy_(g.narrow(1, start, n));
            body(block, start, n);
        }
    }

    /// <summary>
    /// M = G·Gᵀ on the device (one GEMM, one read of G), copied to the host as double: the only
    /// data besides the weights that crosses to the host. A NaN or infinity anywhere in G shows on
    /// the diagonal of M, so this check costs no extra pass over G.
    /// </summary>
    /// <param name="accumulated">G in its accumulation dtype (see <see cref="AccumulationType"/>), or as <see cref="KernelInput"/> gives it.</param>
    public static Gramian ComputeGramian(Tensor accumulated)
    {
        if (UsesCpuKernels(accumulated))
            return ToGramian(CpuGramOf(accumulated), (int)accumulated.shape[0], accumulated.dtype);
        if (UsesBlockConversion(accumulated))
            return ToGramian(BlockGram(accumulated), (int)accumulated.shape[0], AccumulationType(accumulated.dtype));
        using var scope = NewDisposeScope();
        return ToGramian(Gram(accumulated), accumulated.dtype);
    }

    /// <summary>
    /// Whether the library's own CPU kernels (<see cref="CpuGram"/>, <see cref="CpuCombine"/>) read
    /// <paramref name="g"/> directly: a CPU float32/float64 matrix with contiguous rows on a CPU with
    /// AVX-512. Everything else (CUDA, strided columns, other CPUs) goes through libtorch's products.
    /// </summary>
    internal static bool UsesCpuKernels(Tensor g) =>
        Lanes.IsSupported && g.device_type == DeviceType.CPU
        && g.dtype is ScalarType.Float32 or ScalarType.Float64
        && g.dim() == 2 && g.stride(1) == 1 && g.shape[0] <= int.MaxValue;

    /// <summary>The row-major T×T Gram of a matrix that <see cref="UsesCpuKernels"/> accepts.</summary>
    internal static unsafe double[] CpuGramOf(Tensor g)
    {
        var rows = (int)g.shape[0];
        var workers = torch.get_num_threads();
        if (g.dtype == ScalarType.Float32)
        {
            using var storage = g.storage<float>();
            return CpuGram.Compute((float*)storage.data_ptr() + g.storage_offset(), rows, g.shape[1], g.stride(0), workers);
        }
        using var doubles = g.storage<double>();
        return CpuGram.Compute((double*)doubles.data_ptr() + g.storage_offset(), rows, g.shape[1], g.stride(0), workers);
    }

    /// <summary>
    /// A T×T Gram matrix computed on the device (in <paramref name="accumulation"/>, which sets the
    /// round-off allowance) copied to the host as a <see cref="Gramian"/>; a non-finite diagonal entry
    /// means a non-finite gradient of that task.
    /// </summary>
    public static Gramian ToGramian(Tensor gram, ScalarType accumulation)
    {
        using var scope = NewDisposeScope();
        return ToGramian(gram.to_type(ScalarType.Float64).cpu().data<double>().ToArray(), (int)gram.shape[0], accumulation);
    }

    /// <summary>A row-major n×n Gram matrix on the host as a <see cref="Gramian"/>, checked as <see cref="ToGramian(Tensor, ScalarType)"/>.</summary>
    private static Gramian ToGramian(double[] values, int n, ScalarType accumulation)
    {
        var matrix = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
                matrix[i, j] = values[(i * n) + j];
        }
        for (var i = 0; i < n; i++)
        {
            if (!double.IsFinite(matrix[i, i]))
                throw new NonFiniteGradientException(i, $"The gradient of task {i} contains NaN or infinite values (or its squared norm overflows {accumulation}); nothing was applied.", "gradients");
        }
        var precision = accumulation == ScalarType.Float64 ? Gramian.DoublePrecisionEpsilon : Gramian.SinglePrecisionEpsilon;
        return new Gramian(matrix, precision);
    }

    /// <summary>
    /// Columns per chunk of the chunked Gram: 2¹⁶ floats (256 KiB) per row keeps each chunk's T rows in
    /// cache while the batched product runs, and P/2¹⁶ chunks give every thread work.
    /// </summary>
    private const long GramChunk = 1L << 16;

    /// <summary>
    /// M = G·Gᵀ on the device. One [T, P]·[P, T] product reduces over the long P axis, a shape BLAS
    /// handles poorly (measured 1.5–3× slower on CPU than memory bandwidth allows). Viewing G as
    /// [C, T, P/C] chunks (no copy: a view of the row-major rows) and summing C batched T×T products
    /// reads G once at bandwidth, and the chunk-wise partial sums also round less than one long dot
    /// product. Short rows (P &lt; 2 chunks) take the plain product.
    /// </summary>
    internal static Tensor Gram(Tensor g)
    {
        var t = g.shape[0];
        var p = g.shape[1];
        var chunks = p / GramChunk;
        if (chunks < 2 || g.stride(1) != 1)
            return g.matmul(g.T);
        var head = chunks * GramChunk;
        var blocks = g.narrow(1, 0, head).view(t, chunks, GramChunk).transpose(0, 1);
        var gram = torch.bmm(blocks, blocks.transpose(1, 2)).sum(dim: 0);
        if (head < p)
        {
            var tail = g.narrow(1, head, p - head);
            gram.add_(tail.matmul(tail.T));
        }
        return gram;
    }

    /// <summary>destination ← wᵀ·G with one in-place GEMV into the caller's buffer (no [P] allocation in float32/float64).</summary>
    public static void Combine(Tensor accumulated, double[] weights, Tensor destination)
    {
        if (UsesCpuKernels(accumulated) && destination.dtype == accumulated.dtype && destination.stride(0) == 1)
        {
            CpuCombineInto(accumulated, weights, destination);
            return;
        }
        if (UsesBlockConversion(accumulated) && destination.dtype == accumulated.dtype)
        {
            BlockCombine(accumulated, weights, destination);
            return;
        }
        using var scope = NewDisposeScope();
        var w = torch.tensor(weights, dtype: accumulated.dtype, device: accumulated.device);
        if (destination.dtype == accumulated.dtype)
        {
            destination.addmv_(accumulated.T, w, beta: 0, alpha: 1);
        }
        else
        {
            destination.copy_(accumulated.T.mv(w));
        }
    }

    /// <summary>destination ← wᵀ·G by <see cref="CpuCombine"/> (both tensors accepted by <see cref="UsesCpuKernels"/>, same dtype).</summary>
    private static unsafe void CpuCombineInto(Tensor g, double[] weights, Tensor destination)
    {
        var workers = torch.get_num_threads();
        if (g.dtype == ScalarType.Float32)
        {
            using var source = g.storage<float>();
            using var target = destination.storage<float>();
            CpuCombine.Compute((float*)source.data_ptr() + g.storage_offset(), g.shape[1], g.stride(0), weights, (float*)target.data_ptr() + destination.storage_offset(), workers);
            return;
        }
        using var doubles = g.storage<double>();
        using var output = destination.storage<double>();
        CpuCombine.Compute((double*)doubles.data_ptr() + g.storage_offset(), g.shape[1], g.stride(0), weights, (double*)output.data_ptr() + destination.storage_offset(), workers);
    }
}
