using Xunit;

namespace GradSurgery.Tests.Aggregation;

/// <summary>
/// The Gram kernel's prefetch cursor (<see cref="NextChunkPrefetch{T}"/>) visits every line of the next
/// chunk once, row by row, and stops there; <see cref="CpuGram.LinesPerStep"/> spreads those lines over the
/// current chunk's tile loops. Prefetching changes no result (the Gram tests past the threshold in
/// <see cref="CpuKernelTests"/> check that); these tests pin what it reads.
/// </summary>
public unsafe class NextChunkPrefetchTests
{
    [Fact]
    public void The_cursor_walks_each_row_of_the_next_chunk_line_by_line_and_then_stops()
    {
        var g = stackalloc float[1];
        // 3 rows of 5 vectors, 2 lines per step: 15 lines in 8 steps.
        var cursor = new NextChunkPrefetch<float>(g, 1000, 3, 5, 2);
        Assert.Equal((3, 0L), cursor.Position);
        Assert.True(cursor.Next == g);
        cursor.Step();
        Assert.Equal((3, 32L), cursor.Position);
        cursor.Step();
        cursor.Step();
        // Six lines: the first row's five and the second row's first.
        Assert.Equal((2, 16L), cursor.Position);
        Assert.True(cursor.Next == g + 1000 + 16, "the second row starts one row stride on");
        for (var k = 0; k < 4; k++)
            cursor.Step();
        Assert.Equal((1, 64L), cursor.Position);
        Assert.True(cursor.Next == g + 2000 + 64);
        Assert.False(cursor.IsDone);
        cursor.Step();
        Assert.True(cursor.IsDone);
        Assert.Equal((0, 0L), cursor.Position);
        cursor.Step();
        Assert.Equal((0, 0L), cursor.Position);
    }

    [Fact]
    public void Double_rows_advance_by_eight_elements_a_line()
    {
        var g = stackalloc double[1];
        var cursor = new NextChunkPrefetch<double>(g, 100, 2, 3, 1);
        cursor.Step();
        Assert.Equal((2, 8L), cursor.Position);
        cursor.Step();
        cursor.Step();
        Assert.Equal((1, 0L), cursor.Position);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void No_lines_per_step_or_no_next_chunk_is_done_at_once(int linesPerStep)
    {
        var g = stackalloc float[1];
        Assert.True(new NextChunkPrefetch<float>(g, 10, 4, 8, linesPerStep).IsDone);
        Assert.True(new NextChunkPrefetch<float>(g, 10, 4, 0, 1).IsDone);
    }

    [Theory]
    // T = 16: 10 tiles (4 diagonal, 6 square) × 256 vectors = 2 560 iterations for 4 096 lines.
    [InlineData(16, 256, 256, 2)]
    // T = 8: 3 tiles; T = 5: the diagonal tile, one column and the one-row remainder; T = 4: one tile.
    [InlineData(8, 512, 512, 3)]
    [InlineData(5, 100, 100, 2)]
    [InlineData(4, 100, 100, 4)]
    [InlineData(6, 100, 100, 2)]
    // A short last chunk needs fewer; no next chunk, none.
    [InlineData(16, 256, 10, 1)]
    [InlineData(16, 256, 0, 0)]
    [InlineData(16, 0, 10, 0)]
    public void Lines_per_step_spread_the_next_chunk_over_every_tile_loop(int rows, long vectors, long nextVectors, int expected)
    {
        Assert.Equal(expected, CpuGram.LinesPerStep(rows, vectors, nextVectors));
    }
}
