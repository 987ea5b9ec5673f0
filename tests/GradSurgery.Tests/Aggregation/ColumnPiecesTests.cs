using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace GradSurgery.Tests.Aggregation;

/// <summary>The work split of the CPU kernels: every column exactly once, in pieces of the stated length, on the stated workers.</summary>
public class ColumnPiecesTests
{
    [Theory]
    [InlineData(1_000, 64, 1, false)]
    [InlineData(1_000, 64, 2, false)]
    [InlineData(1_024, 64, 3, false)]
    [InlineData(5, 64, 2, false)]
    [InlineData(1_000, 64, 2, true)]
    [InlineData(1_024, 64, 3, true)]
    public void Every_column_is_in_exactly_one_non_empty_piece(long columns, long piece, int workers, bool poolThreads)
    {
        var seen = new ConcurrentBag<(int Worker, long From, long To)>();
        OpenMpTeam.PoolThreadsOnThisThread = poolThreads;
        try
        {
            ColumnPieces.Run(columns, piece, workers, (w, from, to, _, _) => seen.Add((w, from, to)));
        }
        finally
        {
            OpenMpTeam.PoolThreadsOnThisThread = false;
        }
        var pieces = seen.OrderBy(p => p.From).ToList();
        Assert.Equal((columns + piece - 1) / piece, pieces.Count);
        var next = 0L;
        foreach (var (worker, from, to) in pieces)
        {
            Assert.InRange(worker, 0, workers - 1);
            Assert.Equal(next, from);
            Assert.True(to > from, $"empty piece [{from}, {to})");
            Assert.Equal(to == columns ? columns - from : piece, to - from);
            next = to;
        }
        Assert.Equal(columns, next);
    }

    [Theory]
    [InlineData(1_000, 64, 1)]
    [InlineData(1_000, 64, 2)]
    [InlineData(1_024, 64, 3)]
    [InlineData(100, 64, 2)]
    public void Each_piece_names_the_piece_its_worker_runs_next_and_the_last_an_empty_one(long columns, long piece, int workers)
    {
        var runs = new ConcurrentDictionary<int, List<(long From, long To, long NextFrom, long NextTo)>>();
        ColumnPieces.Run(columns, piece, workers, (w, from, to, nextFrom, nextTo) => runs.GetOrAdd(w, _ => []).Add((from, to, nextFrom, nextTo)));
        Assert.Equal((columns + piece - 1) / piece, runs.Values.Sum(r => r.Count));
        foreach (var run in runs.Values)
        {
            for (var k = 0; k + 1 < run.Count; k++)
                Assert.Equal((run[k + 1].From, run[k + 1].To), (run[k].NextFrom, run[k].NextTo));
            Assert.Equal(run[^1].NextFrom, run[^1].NextTo);
        }
    }

    [Fact]
    public void No_columns_run_no_piece()
    {
        var calls = 0;
        ColumnPieces.Run(0, 64, 2, (_, _, _, _, _) => calls++);
        Assert.Equal(0, calls);
    }

    [Theory]
    [InlineData(10_000_000, 2, 64, 4_096, 65_536, 65_536)]
    [InlineData(100_000, 2, 64, 4_096, 65_536, 6_208)]
    [InlineData(100_000, 1, 64, 4_096, 65_536, 12_480)]
    [InlineData(10_000, 2, 64, 4_096, 65_536, 4_096)]
    [InlineData(10_000, 2, 1_000, 64, 100_000, 1_000)]
    public void A_piece_is_an_eighth_of_a_workers_share_rounded_to_the_granule_and_clamped(long columns, int workers, long granule, long smallest, long largest, long expected)
    {
        Assert.Equal(expected, ColumnPieces.Length(columns, workers, granule, smallest, largest));
    }
}
