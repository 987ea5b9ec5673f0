using System;
using System.Threading;
using System.Threading.Tasks;

namespace GradSurgery;

/// <summary>
/// Splits the columns of G into pieces handed out in order to whichever worker is free. Fixed halves
/// finish when the slower worker does, and a worker is slowed often on these machines: a shared virtual
/// machine steals time from one vCPU at a time. The workers are libtorch's own OpenMP threads where its
/// runtime is found (<see cref="OpenMpTeam"/>), .NET pool threads elsewhere: on pool threads the kernels
/// competed with libtorch's OpenMP workers, which keep spinning for milliseconds after every parallel
/// operation (measured: a 16 × 10⁶ Gram right after a <c>G.sum()</c> took 6.1 ms against 3.8 ms alone).
/// </summary>
internal static class ColumnPieces
{
    /// <summary>Pieces per worker the columns are cut into at least, so that a slowed worker's share can move to the other.</summary>
    private const int PiecesPerWorker = 8;

    /// <summary>
    /// The piece length for <paramref name="columns"/> columns on <paramref name="workers"/> workers: at
    /// least <see cref="PiecesPerWorker"/> pieces per worker, each a multiple of <paramref name="granule"/>
    /// and between <paramref name="smallest"/> and <paramref name="largest"/> columns.
    /// </summary>
    public static long Length(long columns, int workers, long granule, long smallest, long largest)
    {
        var piece = Math.Clamp(columns / ((long)PiecesPerWorker * workers), smallest, Math.Max(smallest, largest));
        return Math.Max(granule, piece / granule * granule);
    }

    /// <summary>
    /// Calls <paramref name="body"/>(worker, from, to, nextFrom, nextTo) for every piece [from, to) of
    /// [0, <paramref name="columns"/>) of <paramref name="piece"/> columns (the last one shorter), on at most
    /// <paramref name="workers"/> threads; each worker index runs on one thread at a time, so per-worker
    /// state needs no lock. [nextFrom, nextTo) is the piece the same worker runs next (empty, nextFrom =
    /// nextTo, after its last): each worker claims its next piece before it runs the current one, so a
    /// kernel can prefetch across the end of a piece into the one it will read next. A worker that never
    /// starts (an OpenMP team smaller than asked) leaves its pieces to the others.
    /// </summary>
    public static void Run(long columns, long piece, int workers, Action<int, long, long, long, long> body)
    {
        var pieces = (columns + piece - 1) / piece;
        workers = (int)Math.Clamp(Math.Min(workers, pieces), 1, int.MaxValue);
        var claimed = -1L;
        void Work(int worker)
        {
            var k = Interlocked.Increment(ref claimed);
            while (k < pieces)
            {
                var following = Interlocked.Increment(ref claimed);
                var (nextFrom, nextTo) = following < pieces ? (following * piece, Math.Min(columns, (following + 1) * piece)) : (columns, columns);
                body(worker, k * piece, Math.Min(columns, (k + 1) * piece), nextFrom, nextTo);
                k = following;
            }
        }
        if (workers == 1)
        {
            Work(0);
            return;
        }
        if (OpenMpTeam.IsAvailable)
        {
            OpenMpTeam.Run(workers, Work);
            return;
        }
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, Work);
    }
}
