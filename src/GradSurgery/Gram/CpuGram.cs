using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GradSurgery;

/// <summary>
/// M = G·Gᵀ of a row-major CPU matrix in one read of G, upper triangle only (T(T+1)/2 of the T² dot
/// products), with 512-bit fused multiply-adds. libtorch's products (one GEMM, or batched GEMMs over
/// column chunks) compute all T² entries and, at T ≥ 8, run compute-bound at 1.5–2× a plain read of G
/// on 2 cores; this kernel stays at the read.
/// </summary>
/// <remarks>
/// G is cut into column chunks small enough to stay in the L2 cache while every row pair's partial dot
/// product is taken from it, and each chunk into sub-blocks that stay in the L1 while every tile reads
/// them; the rows are paired in 4×4 register tiles (16 accumulators, 8 loads per 16 fused
/// multiply-adds), so the arithmetic hides under the memory stream. The columns are handed to
/// the workers in pieces of a few chunks (<see cref="ColumnPieces"/>). Each chunk's lanes are summed in double and the chunks are
/// added in double, so the result rounds less than one float32 dot product over P. Past the last-level
/// cache and with more than one tile per chunk, each chunk's tiles prefetch the next chunk as they go
/// (<see cref="NextChunkPrefetch{T}"/>), across the end of a piece into the worker's next one.
/// </remarks>
internal static unsafe class CpuGram
{
    /// <summary>
    /// Bytes of one chunk's T rows: a quarter of the 1 MiB per-core L2 of the machines measured, so the
    /// chunk, the next one streaming in and the accumulators' spills never evict each other.
    /// </summary>
    private const int ChunkBytes = 256 * 1024;

    /// <summary>Rows per register tile: 4×4 = 16 accumulators plus 5 operands fit the 32 vector registers.</summary>
    private const int Tile = 4;

    /// <summary>
    /// The upper triangle of M = G·Gᵀ mirrored into a full T×T row-major array, for G the
    /// <paramref name="rows"/>×<paramref name="columns"/> matrix at <paramref name="g"/> whose rows start
    /// <paramref name="rowStride"/> elements apart, on up to <paramref name="workers"/> threads.
    /// </summary>
    public static double[] Compute<T>(T* g, int rows, long columns, long rowStride, int workers)
        where T : unmanaged
    {
        var width = Lanes.Width<T>();
        var vectors = columns / width;
        workers = (int)Math.Clamp(Math.Min(workers, vectors / MinimumVectorsPerWorker), 1, int.MaxValue);
        var origin = (nint)g;
        var chunk = Math.Max(1, ChunkBytes / (rows * width * sizeof(T))) * width;
        var piece = ColumnPieces.Length(vectors * width, workers, chunk, chunk, PieceChunks * chunk);
        // Below the last-level cache the prefetches only take load slots (T = 16, P = 10⁵, 6.4 MB: 1.4× the
        // time with prefetcht1). Past it they save 10–27% from T = 5 on (T = 5 … 16 at P = 10⁷; T = 8 and
        // 16 at P = 10⁶: 0.83× and 0.79×). At T ≤ 4 one tile holds every row and reads each chunk from
        // memory at the stream's pace; prefetching there cost 6–15%.
        // Stryker disable once all : cache hint, changes timing only
        var prefetch = rows > Tile && Lanes.IsPastCache<T>(rows, columns);
        var partials = new double[workers][];
        var lanes = new Vector512<T>[workers][];
        ColumnPieces.Run(vectors * width, piece, workers, (w, from, to, nextFrom, nextTo) =>
        {
            partials[w] ??= new double[rows * rows];
            lanes[w] ??= new Vector512<T>[rows * rows];
            Range((T*)origin, rows, rowStride, (from, to), (nextFrom, nextTo), chunk, prefetch, partials[w], lanes[w]);
        });

        var gram = partials[0] ?? new double[rows * rows];
        for (var w = 1; w < workers; w++)
        {
            if (partials[w] is not { } part)
                continue;
            for (var k = 0; k < gram.Length; k++)
                gram[k] += part[k];
        }
        Tail(g, rows, rowStride, vectors * width, columns, gram);
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < i; j++)
                gram[(i * rows) + j] = gram[(j * rows) + i];
        }
        return gram;
    }

    /// <summary>
    /// Vectors a worker must have before another thread is worth waking: 2¹² vectors (64 Ki floats) take
    /// a few microseconds, about what handing work to a pool thread costs.
    /// </summary>
    private const long MinimumVectorsPerWorker = 1 << 12;

    /// <summary>Chunks per piece handed to a worker at most (see <see cref="ColumnPieces"/>): 1 MiB of G, a few hundred microseconds of work.</summary>
    private const long PieceChunks = 4;

    /// <summary>
    /// The upper triangle of the Gram of the columns in <paramref name="piece"/> added into
    /// <paramref name="gram"/>, chunk by chunk and within a chunk sub-block by sub-block (<see cref="SubBlockBytes"/>); with <paramref name="prefetch"/>, each chunk's tiles prefetch
    /// the next chunk, the last one the first chunk of <paramref name="nextPiece"/> (the piece this worker
    /// reads next). Before, the first chunk of every piece (a quarter of them, pieces being 4 chunks)
    /// started cold; measured alternately in one process, float32, 2 workers, prefetching into the next
    /// piece took 0.89–0.96× the time at T = 5 … 16, P = 10⁷ and 0.91× at T = 16, P = 10⁶. Each pair's partial sums stay in one vector of
    /// lanes (<c>acc</c>, pair (i, j) at i·T + j), loaded into registers and stored back once per chunk and tile, and are added into the double
    /// result whenever each lane holds <see cref="FlushVectors"/> products and at the end (<paramref name="lanes"/>
    /// is all zero again on return).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Range<T>(T* g, int rows, long rowStride, (long From, long To) piece, (long From, long To) nextPiece, long chunk, bool prefetch, double[] gram, Vector512<T>[] lanes)
        where T : unmanaged
    {
        var width = Lanes.Width<T>();
        var flushEvery = Math.Max(1, FlushVectors / (chunk / width));
        var chunks = 0;
        fixed (Vector512<T>* acc = lanes)
        {
            for (var start = piece.From; start < piece.To; start += chunk)
            {
                var vectors = Math.Min(chunk, piece.To - start) / width;
                // Stryker disable once all : cache hint, changes timing only
                var (next, end) = start + chunk < piece.To ? (start + chunk, piece.To) : nextPiece;
                // Stryker disable once all : cache hint, changes timing only
                var nextVectors = prefetch ? Math.Min(chunk, end - next) / width : 0;
                // Stryker disable once all : cache hint, changes timing only
                var ahead = new NextChunkPrefetch<T>(g + next, rowStride, rows, nextVectors, LinesPerStep(rows, vectors, nextVectors));
                var block = SubBlockVectors<T>(rows, vectors);
                for (long sub = 0; sub < vectors; sub += block)
                    Chunk(g + start + (sub * width), rows, rowStride, Math.Min(block, vectors - sub), acc, ref ahead);
                if (++chunks == flushEvery)
                {
                    Flush(lanes, gram, rows);
                    chunks = 0;
                }
            }
        }
        Flush(lanes, gram, rows);
    }

    /// <summary>
    /// Bytes of the column sub-block of a chunk whose every tile runs before the next sub-block's: 24 KiB
    /// of T rows stays in the L1 cache (32 KiB on the AMD Zen 4 machines measured, 48 KiB on the Intel
    /// ones) beside the 8.5 KiB of lane sums, so a row block that four tile loops read (at T = 16) comes
    /// from the L2 once instead of four times. Measured alternately in one process on the 2-vCPU Intel
    /// Xeon (float32, 2 workers, the Gram alone): 0.81×, 0.89×, 0.88× the time at T = 16 and P = 10⁵,
    /// 10⁶, 10⁷; 0.93–0.95× at T = 12 and T = 8; 0.86–0.98× at T = 5. 16 and 32 KiB measured about the
    /// same at T = 16 (0.93–0.98×, 0.87–0.96×); 24 KiB keeps a margin in the smaller L1.
    /// </summary>
    private const int SubBlockBytes = 24 * 1024;

    /// <summary>
    /// Vectors per row of one sub-block (see <see cref="SubBlockBytes"/>) of a chunk of <paramref name="vectors"/>
    /// vectors: the whole chunk at T ≤ 4, where one tile reads each row once anyway.
    /// </summary>
    internal static long SubBlockVectors<T>(int rows, long vectors)
        where T : unmanaged =>
        rows <= Tile ? vectors : Math.Max(1, SubBlockBytes / (rows * Lanes.Width<T>() * sizeof(T)));

    /// <summary>
    /// Prefetches per tile-loop iteration that spread the next chunk's <paramref name="rows"/>·<paramref name="nextVectors"/>
    /// lines over the current chunk's loops (one per tile and vector; rounded up, so the prefetching ends
    /// a little before the chunk does).
    /// </summary>
    internal static int LinesPerStep(int rows, long vectors, long nextVectors)
    {
        if (nextVectors == 0 || vectors == 0)
            return 0;
        var blocks = rows / Tile;
        var tiles = (blocks * (blocks + 1) / 2) + (blocks * (rows % Tile)) + (rows % Tile == 0 ? 0 : 1);
        var iterations = tiles * vectors;
        return (int)((rows * nextVectors + iterations - 1) / iterations);
    }

    /// <summary>
    /// Products per lane between two flushes of the lane sums into double: 2¹² float32 products round
    /// like one 65 536-column chunk of the batched product this kernel replaced, and a flush (one
    /// horizontal sum per pair) then costs under 1% of the multiply-adds.
    /// </summary>
    private const long FlushVectors = 1 << 12;

    /// <summary>
    /// Adds every upper-triangle pair's lane sum into <paramref name="gram"/> in double and clears it.
    /// Indexed through the arrays, not the pinned pointers: this runs once per few thousand products, and
    /// the bounds checks catch an index past the T×T block.
    /// </summary>
    private static void Flush<T>(Vector512<T>[] lanes, double[] gram, int rows)
        where T : unmanaged
    {
        for (var i = 0; i < rows; i++)
        {
            for (var j = i; j < rows; j++)
            {
                gram[(i * rows) + j] += Lanes.SumToDouble(lanes[(i * rows) + j]);
                lanes[(i * rows) + j] = default;
            }
        }
    }

    /// <summary>Adds the upper triangle of one chunk's Gram (<paramref name="vectors"/> vectors per row) into the lane sums <paramref name="acc"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Chunk<T>(T* x, int rows, long rowStride, long vectors, Vector512<T>* acc, ref NextChunkPrefetch<T> ahead)
        where T : unmanaged
    {
        var tiled = rows / Tile * Tile;
        for (var bi = 0; bi < tiled; bi += Tile)
        {
            Diagonal(x + (bi * rowStride), rowStride, vectors, acc + (bi * rows) + bi, rows, ref ahead);
            for (var bj = bi + Tile; bj < tiled; bj += Tile)
                Square(x + (bi * rowStride), x + (bj * rowStride), rowStride, vectors, acc + (bi * rows) + bj, rows, ref ahead);
            for (var j = tiled; j < rows; j++)
                Column(x + (bi * rowStride), x + (j * rowStride), rowStride, vectors, acc + (bi * rows) + j, rows, ref ahead);
        }
        if (tiled < rows)
            Remainder(x + (tiled * rowStride), rows - tiled, rowStride, vectors, acc + (tiled * rows) + tiled, rows, ref ahead);
    }

    /// <summary>
    /// The products of the last 1–3 rows (T mod 4) with each other, in one pass over them, added into the
    /// lane sums at <paramref name="m"/>: at T = 2 or 3 these are the whole Gram, and reading each row
    /// once per pair would triple the cache traffic.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Remainder<T>(T* a, int count, long s, long vectors, Vector512<T>* m, int n, ref NextChunkPrefetch<T> ahead)
        where T : unmanaged
    {
        var w = Lanes.Width<T>();
        T* r0 = a, r1 = a + s, r2 = a + (2 * s);
        if (count == 1)
        {
            Vector512<T> c00 = m[0];
            for (long v = 0, o = 0; v < vectors; v++, o += w)
            {
                // Stryker disable once all : cache hint, changes timing only
                ahead.Step();
                var x0 = Vector512.Load(r0 + o);
                c00 = Lanes.MultiplyAdd(x0, x0, c00);
            }
            m[0] = c00;
        }
        else if (count == 2)
        {
            Vector512<T> c00 = m[0], c01 = m[1], c11 = m[n + 1];
            for (long v = 0, o = 0; v < vectors; v++, o += w)
            {
                // Stryker disable once all : cache hint, changes timing only
                ahead.Step();
                var x0 = Vector512.Load(r0 + o);
                var x1 = Vector512.Load(r1 + o);
                c00 = Lanes.MultiplyAdd(x0, x0, c00);
                c01 = Lanes.MultiplyAdd(x0, x1, c01);
                c11 = Lanes.MultiplyAdd(x1, x1, c11);
            }
            m[0] = c00;
            m[1] = c01;
            m[n + 1] = c11;
        }
        else
        {
            Vector512<T> c00 = m[0], c01 = m[1], c02 = m[2], c11 = m[n + 1], c12 = m[n + 2], c22 = m[(2 * n) + 2];
            for (long v = 0, o = 0; v < vectors; v++, o += w)
            {
                // Stryker disable once all : cache hint, changes timing only
                ahead.Step();
                var x0 = Vector512.Load(r0 + o);
                var x1 = Vector512.Load(r1 + o);
                var x2 = Vector512.Load(r2 + o);
                c00 = Lanes.MultiplyAdd(x0, x0, c00);
                c01 = Lanes.MultiplyAdd(x0, x1, c01);
                c02 = Lanes.MultiplyAdd(x0, x2, c02);
                c11 = Lanes.MultiplyAdd(x1, x1, c11);
                c12 = Lanes.MultiplyAdd(x1, x2, c12);
                c22 = Lanes.MultiplyAdd(x2, x2, c22);
            }
            m[0] = c00;
            m[1] = c01;
            m[2] = c02;
            m[n + 1] = c11;
            m[n + 2] = c12;
            m[(2 * n) + 2] = c22;
        }
    }

    /// <summary>The 10 distinct products of a 4-row block with itself, added into the lane sums at <paramref name="m"/> (its top-left pair).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Diagonal<T>(T* a, long s, long vectors, Vector512<T>* m, int n, ref NextChunkPrefetch<T> ahead)
        where T : unmanaged
    {
        var w = Lanes.Width<T>();
        Vector512<T> c00 = m[0], c01 = m[1], c02 = m[2], c03 = m[3], c11 = m[n + 1], c12 = m[n + 2], c13 = m[n + 3];
        Vector512<T> c22 = m[(2 * n) + 2], c23 = m[(2 * n) + 3], c33 = m[(3 * n) + 3];
        T* r0 = a, r1 = a + s, r2 = a + (2 * s), r3 = a + (3 * s);
        for (long v = 0, o = 0; v < vectors; v++, o += w)
        {
            // Stryker disable once all : cache hint, changes timing only
            ahead.Step();
            var x0 = Vector512.Load(r0 + o);
            var x1 = Vector512.Load(r1 + o);
            var x2 = Vector512.Load(r2 + o);
            var x3 = Vector512.Load(r3 + o);
            c00 = Lanes.MultiplyAdd(x0, x0, c00);
            c01 = Lanes.MultiplyAdd(x0, x1, c01);
            c02 = Lanes.MultiplyAdd(x0, x2, c02);
            c03 = Lanes.MultiplyAdd(x0, x3, c03);
            c11 = Lanes.MultiplyAdd(x1, x1, c11);
            c12 = Lanes.MultiplyAdd(x1, x2, c12);
            c13 = Lanes.MultiplyAdd(x1, x3, c13);
            c22 = Lanes.MultiplyAdd(x2, x2, c22);
            c23 = Lanes.MultiplyAdd(x2, x3, c23);
            c33 = Lanes.MultiplyAdd(x3, x3, c33);
        }
        m[0] = c00;
        m[1] = c01;
        m[2] = c02;
        m[3] = c03;
        m[n + 1] = c11;
        m[n + 2] = c12;
        m[n + 3] = c13;
        m[(2 * n) + 2] = c22;
        m[(2 * n) + 3] = c23;
        m[(3 * n) + 3] = c33;
    }

    /// <summary>The 16 products of two different 4-row blocks, added into the lane sums at <paramref name="m"/> (row block <paramref name="a"/>, column block <paramref name="b"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Square<T>(T* a, T* b, long s, long vectors, Vector512<T>* m, int n, ref NextChunkPrefetch<T> ahead)
        where T : unmanaged
    {
        var w = Lanes.Width<T>();
        Vector512<T> c00 = m[0], c01 = m[1], c02 = m[2], c03 = m[3];
        Vector512<T> c10 = m[n], c11 = m[n + 1], c12 = m[n + 2], c13 = m[n + 3];
        Vector512<T> c20 = m[2 * n], c21 = m[(2 * n) + 1], c22 = m[(2 * n) + 2], c23 = m[(2 * n) + 3];
        Vector512<T> c30 = m[3 * n], c31 = m[(3 * n) + 1], c32 = m[(3 * n) + 2], c33 = m[(3 * n) + 3];
        T* a0 = a, a1 = a + s, a2 = a + (2 * s), a3 = a + (3 * s);
        T* b0 = b, b1 = b + s, b2 = b + (2 * s), b3 = b + (3 * s);
        for (long v = 0, o = 0; v < vectors; v++, o += w)
        {
            // Stryker disable once all : cache hint, changes timing only
            ahead.Step();
            var y0 = Vector512.Load(b0 + o);
            var y1 = Vector512.Load(b1 + o);
            var y2 = Vector512.Load(b2 + o);
            var y3 = Vector512.Load(b3 + o);
            var x = Vector512.Load(a0 + o);
            c00 = Lanes.MultiplyAdd(x, y0, c00);
            c01 = Lanes.MultiplyAdd(x, y1, c01);
            c02 = Lanes.MultiplyAdd(x, y2, c02);
            c03 = Lanes.MultiplyAdd(x, y3, c03);
            x = Vector512.Load(a1 + o);
            c10 = Lanes.MultiplyAdd(x, y0, c10);
            c11 = Lanes.MultiplyAdd(x, y1, c11);
            c12 = Lanes.MultiplyAdd(x, y2, c12);
            c13 = Lanes.MultiplyAdd(x, y3, c13);
            x = Vector512.Load(a2 + o);
            c20 = Lanes.MultiplyAdd(x, y0, c20);
            c21 = Lanes.MultiplyAdd(x, y1, c21);
            c22 = Lanes.MultiplyAdd(x, y2, c22);
            c23 = Lanes.MultiplyAdd(x, y3, c23);
            x = Vector512.Load(a3 + o);
            c30 = Lanes.MultiplyAdd(x, y0, c30);
            c31 = Lanes.MultiplyAdd(x, y1, c31);
            c32 = Lanes.MultiplyAdd(x, y2, c32);
            c33 = Lanes.MultiplyAdd(x, y3, c33);
        }
        m[0] = c00;
        m[1] = c01;
        m[2] = c02;
        m[3] = c03;
        m[n] = c10;
        m[n + 1] = c11;
        m[n + 2] = c12;
        m[n + 3] = c13;
        m[2 * n] = c20;
        m[(2 * n) + 1] = c21;
        m[(2 * n) + 2] = c22;
        m[(2 * n) + 3] = c23;
        m[3 * n] = c30;
        m[(3 * n) + 1] = c31;
        m[(3 * n) + 2] = c32;
        m[(3 * n) + 3] = c33;
    }

    /// <summary>The products of a 4-row block with one later row <paramref name="b"/>, added into the lane sums down column <paramref name="m"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Column<T>(T* a, T* b, long s, long vectors, Vector512<T>* m, int n, ref NextChunkPrefetch<T> ahead)
        where T : unmanaged
    {
        var w = Lanes.Width<T>();
        Vector512<T> c0 = m[0], c1 = m[n], c2 = m[2 * n], c3 = m[3 * n];
        T* a0 = a, a1 = a + s, a2 = a + (2 * s), a3 = a + (3 * s);
        for (long v = 0, o = 0; v < vectors; v++, o += w)
        {
            // Stryker disable once all : cache hint, changes timing only
            ahead.Step();
            var y = Vector512.Load(b + o);
            c0 = Lanes.MultiplyAdd(Vector512.Load(a0 + o), y, c0);
            c1 = Lanes.MultiplyAdd(Vector512.Load(a1 + o), y, c1);
            c2 = Lanes.MultiplyAdd(Vector512.Load(a2 + o), y, c2);
            c3 = Lanes.MultiplyAdd(Vector512.Load(a3 + o), y, c3);
        }
        m[0] = c0;
        m[n] = c1;
        m[2 * n] = c2;
        m[3 * n] = c3;
    }

    /// <summary>The columns [<paramref name="from"/>, <paramref name="to"/>) past the last whole vector, in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tail<T>(T* g, int rows, long rowStride, long from, long to, double[] gram)
        where T : unmanaged
    {
        for (var c = from; c < to; c++)
        {
            for (var i = 0; i < rows; i++)
            {
                var x = Lanes.ToDouble(g[(i * rowStride) + c]);
                for (var j = i; j < rows; j++)
                    gram[(i * rows) + j] += x * Lanes.ToDouble(g[(j * rowStride) + c]);
            }
        }
    }
}
