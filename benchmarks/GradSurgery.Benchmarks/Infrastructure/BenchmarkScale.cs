namespace GradSurgery.Benchmarks.Infrastructure;

/// <summary>
/// The parameter grids. The smoke run (CI) keeps the smallest point of each grid so that every
/// benchmark runs once in seconds; the full run uses the grids the targets are stated on.
/// The benchmarks run in-process, so this static switch reaches them.
/// </summary>
public static class BenchmarkScale
{
    /// <summary>True for the CI smoke run.</summary>
    public static bool Smoke { get; set; }

    /// <summary>Picks the full grid or, in a smoke run, its first value only.</summary>
    public static IEnumerable<T> Grid<T>(params T[] full) => Smoke ? full.Take(1) : full;
}
