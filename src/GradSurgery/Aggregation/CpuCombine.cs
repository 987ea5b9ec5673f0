using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GradSurgery;

/// <summary>
/// d = wᵀ·G of a row-major CPU matrix into the caller's [P] buffer in one read of G: each group of
/// output vectors is accumulated in registers over the T rows and written once, so no partial sum
/// travels through memory. The columns are split into one contiguous range per worker.
/// </summary>
/// <remarks>
/// Past the last-level cache (<see cref="Lanes.PastCacheBytes"/>) the output is written with streaming
/// stores, since reading G evicts it anyway. Measured paired against plain stores at P = 10⁶: 0.55–0.83×
/// the time at T = 8 and 16 (G of 32 and 64 MB), 0.9–1.0× at T = 4 (16 MB) and 1.1–1.8× at T = 2 (8 MB,
/// where G and the output stay in the cache); at P = 10⁷ streaming saves 25–30%.
/// </remarks>
internal static unsafe class CpuCombine
{
    /// <summary>Output vectors accumulated at once: four independent fused multiply-add chains hide the instruction's latency.</summary>
    private const int Unroll = 4;

    /// <summary>
    /// Vectors a worker must have before another thread is worth waking: 2¹² vectors take a few
    /// microseconds, about what handing work to a pool thread costs.
    /// </summary>
    private const long MinimumVectorsPerWorker = 1 << 12;

    /// <summary>Columns per piece handed to a worker at most (see <see cref="ColumnPieces"/>): 2¹⁶ outputs, T × 256 KiB of float32 G.</summary>
    private const long PieceColumns = 1 << 16;

    /// <summary>Columns per piece at least: 2¹² outputs take about a microsecond per task, more than taking the next piece costs.</summary>
    private const long MinimumPieceColumns = 1 << 12;

    /// <summary>Bytes of one 512-bit vector: the alignment streaming stores need.</summary>
    private const int VectorBytes = 64;


    /// <summary>
    /// How far ahead in each row the lines are prefetched (into the L2, <c>prefetcht2</c>) once G is past
    /// the cache (<see cref="Lanes.PastCacheBytes"/>): 1 KiB, four groups of output vectors ahead. Measured
    /// alternately in one process against no prefetching (float32, 2 workers): 0.93× the time at T = 16
    /// and 8, P = 10⁷, 0.81× at T = 4, 0.88× at T = 16, P = 10⁶; 512 bytes and 2 KiB ahead did no better
    /// overall, 16 KiB ahead no better than none.
    /// </summary>
    private const int PrefetchBytes = 1024;

    /// <summary>
    /// <paramref name="destination"/>[c] ← Σₜ weights[t]·G[t, c] for G the
    /// <paramref name="weights"/>.Length × <paramref name="columns"/> matrix at <paramref name="g"/>
    /// whose rows start <paramref name="rowStride"/> elements apart, on up to
    /// <paramref name="workers"/> threads. The weights are rounded to <typeparamref name="T"/> first.
    /// </summary>
    public static void Compute<T>(T* g, long columns, long rowStride, double[] weights, T* destination, int workers)
        where T : unmanaged
    {
        var rows = weights.Length;
        var w = new T[rows];
        for (var t = 0; t < rows; t++)
            w[t] = Lanes.FromDouble<T>(weights[t]);
        var width = Lanes.Width<T>();
        var vectors = columns / width;
        workers = (int)Math.Clamp(Math.Min(workers, vectors / MinimumVectorsPerWorker), 1, int.MaxValue);
        var origin = (nint)g;
        var target = (nint)destination;
        var pastCache = Lanes.IsPastCache<T>(rows, columns);
        var streaming = pastCache && (target & (VectorBytes - 1)) == 0;
        var granule = Unroll * width;
        var piece = ColumnPieces.Length(vectors * width, workers, granule, MinimumPieceColumns, PieceColumns);
        ColumnPieces.Run(vectors * width, piece, workers, (_, from, to, _, _) => Range((T*)origin, w, rowStride, from, to, (T*)target, streaming, pastCache));

        for (var c = vectors * width; c < columns; c++)
        {
            var sum = 0.0;
            for (var t = 0; t < rows; t++)
                sum += Lanes.ToDouble(w[t]) * Lanes.ToDouble(g[(t * rowStride) + c]);
            destination[c] = Lanes.FromDouble<T>(sum);
        }
    }

    /// <summary>
    /// The output columns [<paramref name="from"/>, <paramref name="to"/>), both multiples of the vector
    /// width; <paramref name="streaming"/> writes past the caches, <paramref name="prefetch"/> asks for each
    /// row's lines <see cref="PrefetchBytes"/> ahead.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Range<T>(T* g, T[] weights, long rowStride, long from, long to, T* destination, bool streaming, bool prefetch)
        where T : unmanaged
    {
        var width = Lanes.Width<T>();
        // Stryker disable once all : cache hint, changes timing only
        var ahead = PrefetchBytes / sizeof(T);
        var rows = weights.Length;
        var c = from;
        for (; c + (Unroll * width) <= to; c += Unroll * width)
        {
            Vector512<T> d0 = default, d1 = default, d2 = default, d3 = default;
            var row = g + c;
            for (var t = 0; t < rows; t++, row += rowStride)
            {
                var wt = Vector512.Create(weights[t]);
                // Stryker disable once all : cache hint, changes timing only
                if (prefetch)
                {
                    Sse.Prefetch2(row + ahead);
                    Sse.Prefetch2(row + ahead + width);
                    Sse.Prefetch2(row + ahead + (2 * width));
                    Sse.Prefetch2(row + ahead + (3 * width));
                }
                d0 = Lanes.MultiplyAdd(Vector512.Load(row), wt, d0);
                d1 = Lanes.MultiplyAdd(Vector512.Load(row + width), wt, d1);
                d2 = Lanes.MultiplyAdd(Vector512.Load(row + (2 * width)), wt, d2);
                d3 = Lanes.MultiplyAdd(Vector512.Load(row + (3 * width)), wt, d3);
            }
            if (streaming)
            {
                Lanes.StoreStreaming(d0, destination + c);
                Lanes.StoreStreaming(d1, destination + c + width);
                Lanes.StoreStreaming(d2, destination + c + (2 * width));
                Lanes.StoreStreaming(d3, destination + c + (3 * width));
            }
            else
            {
                d0.Store(destination + c);
                d1.Store(destination + c + width);
                d2.Store(destination + c + (2 * width));
                d3.Store(destination + c + (3 * width));
            }
        }
        for (; c < to; c += width)
        {
            Vector512<T> d = default;
            var row = g + c;
            for (var t = 0; t < rows; t++, row += rowStride)
                d = Lanes.MultiplyAdd(Vector512.Load(row), Vector512.Create(weights[t]), d);
            d.Store(destination + c);
        }
        if (streaming)
            Lanes.Fence();
    }
}
