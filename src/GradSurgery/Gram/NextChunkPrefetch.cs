using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace GradSurgery;

/// <summary>
/// A cursor over the cache lines of the next column chunk of G (row by row) that <see cref="CpuGram"/>'s
/// tile loops advance a few lines per iteration, prefetching each into the L2 cache: the next chunk then
/// streams in while the current one is multiplied, instead of arriving only when the first tile of a
/// chunk asks for it (which left the memory idle during the later tiles and the arithmetic idle during
/// the first ones).
/// </summary>
/// <remarks>
/// Uses <c>prefetcht2</c>: measured alternately in one process on the 2-core AMD EPYC (Zen 4) machine at P = 10⁷,
/// float32, the Gram took 0.82× (T = 16), 0.73× (T = 12), 0.86× (T = 8) and 0.93× (T = 6) of its time without
/// prefetching; <c>prefetcht1</c> 0.87×, 0.80×, 0.90×; <c>prefetcht0</c>, which also fills the L1 the tiles
/// stream from, 1.11× (slower) at T = 16.
/// </remarks>
internal unsafe struct NextChunkPrefetch<T>
    where T : unmanaged
{
    private readonly long _rowStride;
    private readonly long _rowEnd;
    private readonly int _linesPerStep;
    private T* _row;
    private long _offset;
    private int _rowsLeft;

    /// <summary>
    /// The cursor over <paramref name="rows"/> rows of <paramref name="vectors"/> vectors (one cache line each)
    /// from <paramref name="start"/>, rows <paramref name="rowStride"/> elements apart, issuing
    /// <paramref name="linesPerStep"/> prefetches per <see cref="Step"/> (0: none, the cursor is done at once).
    /// </summary>
    public NextChunkPrefetch(T* start, long rowStride, int rows, long vectors, int linesPerStep)
    {
        _row = start;
        _rowStride = rowStride;
        _rowEnd = vectors * Lanes.Width<T>();
        _linesPerStep = linesPerStep;
        _offset = 0;
        _rowsLeft = linesPerStep > 0 && vectors > 0 ? rows : 0;
    }

    /// <summary>Whether every line has been prefetched.</summary>
    public readonly bool IsDone => _rowsLeft == 0;

    /// <summary>The row (counted from the last) and the element offset in it that the next prefetch reads.</summary>
    public readonly (int RowsLeft, long Offset) Position => (_rowsLeft, _offset);

    /// <summary>The address the next prefetch reads.</summary>
    public readonly T* Next => _row + _offset;

    /// <summary>Prefetches the next few lines, row after row, until the chunk is done.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Step()
    {
        for (var k = 0; k < _linesPerStep && _rowsLeft > 0; k++)
        {
            // Stryker disable once all : cache hint, changes timing only
            Sse.Prefetch2(Next);
            _offset += Lanes.Width<T>();
            if (_offset == _rowEnd)
            {
                _offset = 0;
                _row += _rowStride;
                _rowsLeft--;
            }
        }
    }
}
