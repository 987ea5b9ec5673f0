using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace GradSurgery.Benchmarks.Infrastructure;

/// <summary>
/// In-process runs: BenchmarkDotNet's generated project would not import this repository's
/// Directory.Build.targets, so its copy of TorchSharp's native library would miss the GLIBCXX fix and
/// fail to load. In-process, the benchmarks run from this project's own (fixed) output folder.
/// </summary>
public static class BenchmarkConfig
{
    /// <summary>Warm-up iterations of the full job: the first steps allocate buffers and optimizer state.</summary>
    private const int WarmupIterations = 3;

    /// <summary>Measured iterations of the full job: enough for a stable median on a 2-core machine.</summary>
    private const int MeasuredIterations = 10;

    /// <summary>Target time per iteration (BenchmarkDotNet's default is 500 ms): halves the suite's run time; medians stay stable.</summary>
    private const int IterationMilliseconds = 250;

    /// <summary>
    /// The full job; <paramref name="smoke"/>: the shortest one (one cold invocation, CI);
    /// <paramref name="quick"/>: BenchmarkDotNet's ShortRun (rough numbers, for a local look).
    /// </summary>
    public static IConfig Create(bool smoke, bool quick)
    {
        var job = smoke ? Job.Dry
            : quick ? Job.ShortRun
            : Job.Default.WithWarmupCount(WarmupIterations).WithIterationCount(MeasuredIterations)
                .WithIterationTime(TimeInterval.FromMilliseconds(IterationMilliseconds));
        return ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(job.WithToolchain(InProcessEmitToolchain.Instance))
            .AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory)
            .WithOptions(ConfigOptions.DisableLogFile);
    }
}
