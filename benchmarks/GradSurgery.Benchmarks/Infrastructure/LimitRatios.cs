using System.Diagnostics;
using GradSurgery.Benchmarks.Aggregation;
using static TorchSharp.torch;

namespace GradSurgery.Benchmarks.Infrastructure;

/// <summary>
/// Every Gram-space method's aggregation time against the machine's limit (<see cref="MachineLimit"/>),
/// paired: each pair times the method and two plain reads of G alternately and divides by the larger of
/// the reads and the compute floor. One Markdown table per dtype: float32 carries the targets
/// (≤ 1.25× at P = 10⁷, ≤ 2× at P = 10⁶, T = 2 … 16); float64, bfloat16 and float16 are reported.
/// </summary>
public static class LimitRatios
{
    /// <summary>Target at P = 10⁷ (G far larger than the caches), float32.</summary>
    public const double LargeTarget = 1.25;

    /// <summary>Target at P = 10⁶ (G cache-resident up to T = 8: fixed per-call costs weigh more), float32.</summary>
    public const double SmallTarget = 2.0;

    private const int LargeSize = 10_000_000;
    private const int SmallPairs = 15;
    private const int LargePairs = 7;
    private const int Repetitions = 5;

    /// <summary>The methods of the half-precision and float64 tables: the four papers', MGDA and the mean (the full family runs in float32).</summary>
    private static readonly string[] ReportedMethods = ["Mean", "MGDA", "PCGrad", "CAGrad", "GradOPS", "AlignedMTL"];

    /// <summary>The methods of the README's side-by-side table with LibMTL (their milliseconds are printed at P = 10⁷).</summary>
    private static readonly string[] SideBySideMethods = ["PCGrad", "CAGrad", "AlignedMTL", "MGDA"];

    /// <summary>Prints the tables; <paramref name="dtypes"/> limits them (all four when empty).</summary>
    public static int Run(bool smoke, IReadOnlyList<string> dtypes)
    {
        BenchmarkScale.Smoke = smoke;
        ScalarType[] all = [ScalarType.Float32, ScalarType.Float64, ScalarType.BFloat16, ScalarType.Float16];
        var selected = dtypes.Count == 0 ? all : all.Where(d => dtypes.Contains(d.ToString(), StringComparer.OrdinalIgnoreCase)).ToArray();
        var worst = new List<string>();
        var sideBySide = new List<string>();
        foreach (var dtype in BenchmarkScale.Smoke ? selected.Take(1) : selected)
        {
            var methods = dtype == ScalarType.Float32 ? BenchmarkMethods.All : ReportedMethods;
            var peak = MachineLimit.PeakFlops(dtype);
            Console.WriteLine();
            Console.WriteLine($"#### {dtype}: aggregation ÷ machine limit (peak {MachineLimit.Accumulation(dtype)} GEMM {peak / 1e9:F0} GFLOP/s on {MachineLimit.GemmSide}³, {get_num_threads()} threads)");
            Console.WriteLine();
            Console.WriteLine($"| T | P | two reads (ms) | compute floor (ms) | limit (ms) | {string.Join(" | ", methods)} |");
            Console.WriteLine($"| --- | --- | ---: | ---: | ---: |{string.Concat(methods.Select(_ => " ---: |"))}");
            var ratios = new List<(double Ratio, string Where, bool Large)>();
            foreach (var t in BenchmarkScale.Grid(2, 4, 8, 16))
            {
                foreach (var p in BenchmarkScale.Grid(1_000_000, LargeSize))
                {
                    var bench = new AggregationBenchmarks { T = t, P = p, DType = dtype };
                    bench.Setup();
                    var pairs = smoke ? 1 : p >= LargeSize ? LargePairs : SmallPairs;
                    var compute = MachineLimit.ComputeFloorMilliseconds(t, p, dtype);
                    var reads = MedianMilliseconds(() => bench.BandwidthFloor(), smoke ? 1 : Repetitions);
                    var cells = new List<string>();
                    foreach (var method in methods)
                    {
                        var run = typeof(AggregationBenchmarks).GetMethod(method)!;
                        var (ratio, milliseconds) = PairedRatios.MedianAndTime(() => run.Invoke(bench, null), () => bench.BandwidthFloor(), pairs, floorMilliseconds: compute);
                        cells.Add($"{ratio:F2}");
                        if (p >= LargeSize && SideBySideMethods.Contains(method))
                        {
                            sideBySide.Add($"| {dtype} | {t} | {method} | {milliseconds:F1} | {ratio:F2} |");
                        }
                        ratios.Add((ratio, $"{method}, T={t}, P={p:0e0}", p >= LargeSize));
                    }

                    Console.WriteLine($"| {t} | {p:0e0} | {reads:F2} | {compute:F2} | {Math.Max(reads, compute):F2} | {string.Join(" | ", cells)} |");
                    bench.Cleanup();
                }
            }

            foreach (var large in new[] { false, true })
            {
                var group = ratios.Where(r => r.Large == large).ToList();
                if (group.Count == 0)
                {
                    continue;
                }

                var max = group.MaxBy(r => r.Ratio);
                var sorted = group.Select(r => r.Ratio).Order().ToList();
                var target = dtype == ScalarType.Float32 ? (large ? $" (target ≤ {LargeTarget})" : $" (target ≤ {SmallTarget})") : " (reported)";
                worst.Add($"| {dtype} | P {(large ? "= 10⁷" : "= 10⁶")}{target} | {max.Ratio:F2}× ({max.Where}) | {sorted[sorted.Count / 2]:F2}× |");
            }
        }

        Console.WriteLine();
        Console.WriteLine("| dtype | T | method (P = 10⁷) | median ms | ÷ limit |");
        Console.WriteLine("| --- | --- | --- | ---: | ---: |");
        sideBySide.ForEach(Console.WriteLine);
        Console.WriteLine();
        Console.WriteLine("| dtype | grid | worst ratio to the limit | median |");
        Console.WriteLine("| --- | --- | --- | --- |");
        worst.ForEach(Console.WriteLine);
        return 0;
    }

    private static double MedianMilliseconds(Action action, int repetitions)
    {
        action();
        var times = new List<double>();
        for (var i = 0; i < repetitions; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            times.Add(clock.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        return times[times.Count / 2];
    }
}
