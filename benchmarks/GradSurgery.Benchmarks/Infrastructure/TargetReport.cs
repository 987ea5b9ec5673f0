using System.Globalization;
using BenchmarkDotNet.Reports;

namespace GradSurgery.Benchmarks.Infrastructure;

/// <summary>
/// Reads the issue's targets off one run's results (medians, so ratios come from one run) and
/// writes them as a Markdown table, each marked met or missed. Targets whose benchmarks were
/// filtered out are left out.
/// </summary>
public static class TargetReport
{
    private const double AggregationLimit = 1.15;
    private const double CollectLimit = 1.05;
    private const double WrapperLimit = 1.10;
    private const double RepresentationLimit = 1.3;

    /// <summary>A loss-weighted step (one backward of the weighted sum) against the plain summed-loss step.</summary>
    private const double LossWeightingLimit = 1.05;
    private const double SolverLimitMicroseconds = 50;
    private const int SolverTaskCount = 16;
    private const int LargestTargetTaskCount = 16;
    private const int SmallestTargetSize = 1_000_000;
    private const int LiteralSize = 1_000_000;
    private const double NanosecondsPerMicrosecond = 1_000;
    private static readonly (int T, double Speedup)[] LiteralTargets = [(8, 5), (16, 10)];
    private const double IterativeLimitMicroseconds = 200;
    private static readonly string[] SolverMethods = ["MGDA", "CAGrad", "AlignedMTL", "PCGrad", "GradOPS", "DualProj", "IMTLG", "GradVac", "ConFIG", "RLW", "Krum"];
    private static readonly string[] IterativeSolverMethods = ["UPGrad", "NashMTL", "FairGrad"];
    private static readonly string[] ElementwiseMethods = ["GradDrop", "TrimmedMean"];

    /// <summary>Writes the targets table for <paramref name="summaries"/>.</summary>
    public static void Write(IEnumerable<Summary> summaries, TextWriter writer)
    {
        var results = summaries.SelectMany(s => s.Reports)
            .Where(r => r.Success && r.ResultStatistics is not null)
            .Select(r => new Result(
                r.BenchmarkCase.Descriptor.Type.Name,
                r.BenchmarkCase.Descriptor.WorkloadMethod.Name,
                r.BenchmarkCase.Parameters.Items.ToDictionary(p => p.Name, p => Convert.ToString(p.Value, CultureInfo.InvariantCulture) ?? ""),
                r.ResultStatistics!.Median))
            .ToList();
        var rows = new List<string>();
        Aggregation(results, rows);
        Limit(results, rows);
        Literal(results, rows);
        Training(results, rows);
        Solvers(results, rows);
        Elementwise(results, rows);
        writer.WriteLine();
        writer.WriteLine("| target | measured (worst case) | |");
        writer.WriteLine("| --- | --- | --- |");
        foreach (var row in rows)
        {
            writer.WriteLine(row);
        }
    }

    private static void Aggregation(List<Result> results, List<string> rows)
    {
        foreach (var method in BenchmarkMethods.All)
        {
            var ratios = results.Where(r => r.Class == "AggregationBenchmarks" && r.Method == method
                    && r.Int("T") <= LargestTargetTaskCount && r.Int("P") >= SmallestTargetSize)
                .Select(r => (Ratio: r.Median / Find(results, "AggregationBenchmarks", "Floor", r.Parameters), Where: $"T={r["T"]}, P={r["P"]}"))
                .ToList();
            if (ratios.Count > 0)
            {
                var worst = ratios.MaxBy(x => x.Ratio);
                rows.Add(Row($"{method} aggregation ≤ {AggregationLimit} × Gram + combine floor (T ≤ 16, P ≥ 10⁶)", worst.Ratio <= AggregationLimit, $"{worst.Ratio:F2}× at {worst.Where}"));
            }
        }
    }

    /// <summary>
    /// Every Gram-space method's ratio to the machine's limit (see <see cref="MachineLimit"/>), both floors
    /// read off the same run: <c>BandwidthFloor</c> (two reads of G) and <c>PeakGemm</c> (one 1024³ product)
    /// at the same grid point. Targets (float32): ≤ 1.25× at P = 10⁷ and ≤ 2× at P = 10⁶, T = 2 … 16.
    /// </summary>
    private static void Limit(List<Result> results, List<string> rows)
    {
        foreach (var (size, limit) in new[] { (LargeLimitSize, LimitRatios.LargeTarget), (SmallestTargetSize, LimitRatios.SmallTarget) })
        {
            foreach (var method in BenchmarkMethods.All)
            {
                var ratios = results.Where(r => r.Class == "AggregationBenchmarks" && r.Method == method && r.Int("T") <= LargestTargetTaskCount && r.Int("P") == size)
                    .Select(r => (Ratio: r.Median / MachineLimitOf(results, r), Where: $"T={r["T"]}"))
                    .Where(x => double.IsFinite(x.Ratio))
                    .ToList();
                AddWorst(rows, ratios, $"{method} aggregation ≤ {limit} × the machine's limit (P = {size:0e0}, T ≤ 16)", limit);
            }
        }
    }

    private const int LargeLimitSize = 10_000_000;

    /// <summary>max(two reads of G, T(T+1)/2·P multiply-adds at the measured 1024³ GEMM rate) at <paramref name="r"/>'s grid point.</summary>
    private static double MachineLimitOf(List<Result> results, Result r)
    {
        var reads = Find(results, "AggregationBenchmarks", nameof(GradSurgery.Benchmarks.Aggregation.AggregationBenchmarks.BandwidthFloor), r.Parameters);
        var gemm = Find(results, "AggregationBenchmarks", nameof(GradSurgery.Benchmarks.Aggregation.AggregationBenchmarks.PeakGemm), r.Parameters);
        return Math.Max(reads, MachineLimit.ComputeFloorFromGemm(r.Int("T"), r.Int("P"), gemm));
    }

    private static void Literal(List<Result> results, List<string> rows)
    {
        foreach (var (gram, literal, name) in new[] { ("GramPCGrad", "LiteralPCGradRun", "PCGrad"), ("GramGradOPS", "LiteralGradOPSRun", "GradOPS") })
        {
            foreach (var (t, speedup) in LiteralTargets)
            {
                var parameters = new Dictionary<string, string> { ["T"] = $"{t}", ["P"] = $"{LiteralSize}" };
                var fast = TryFind(results, "LiteralBaselineBenchmarks", gram, parameters);
                var slow = TryFind(results, "LiteralBaselineBenchmarks", literal, parameters);
                if (fast is { } f && slow is { } s)
                {
                    rows.Add(Row($"Gram-space {name} ≥ {speedup}× faster than literal at T = {t}, P = 10⁶", s / f >= speedup, $"{s / f:F1}×"));
                }
            }
        }
    }

    private static void Training(List<Result> results, List<string> rows)
    {
        var training = results.Where(r => r.Class == "TrainingStepBenchmarks").ToList();
        var groups = training.GroupBy(r => (Trunk: r["Trunk"], T: r["T"])).ToList();
        var collect = new List<(double Ratio, string Where)>();
        var wrapper = new List<(double Ratio, string Where)>();
        var representation = new List<(double Ratio, string Where)>();
        var lossWeighted = new List<(double Ratio, string Where)>();
        foreach (var group in groups)
        {
            double? Scenario(string name) => group.FirstOrDefault(r => r["Scenario"] == name)?.Median;
            var where = $"trunk {group.Key.Trunk}, T={group.Key.T}";
            if (Scenario("Collect") is { } c && Scenario("ForwardTBackward") is { } fb)
            {
                collect.Add((c / fb, where));
                if (Scenario("AggregationFloor") is { } floor && Scenario("InnerStep") is { } inner)
                {
                    wrapper.AddRange(group.Where(r => r["Scenario"].StartsWith("Wrapper:", StringComparison.Ordinal))
                        .Select(r => (r.Median / (fb + floor + inner), $"{r["Scenario"]}, {where}")));
                }
            }

            if (Scenario("SummedLoss") is { } summed)
            {
                representation.AddRange(group.Where(r => r["Scenario"].StartsWith("Representation:", StringComparison.Ordinal))
                    .Select(r => (r.Median / summed, $"{r["Scenario"]}, {where}")));
                lossWeighted.AddRange(group.Where(r => r["Scenario"].StartsWith("Loss:", StringComparison.Ordinal) && BenchmarkMethods.OneBackward(r["Scenario"]["Loss:".Length..]))
                    .Select(r => (r.Median / summed, $"{r["Scenario"]}, {where}")));
            }
        }

        AddWorst(rows, collect, $"Collecting T gradients ≤ {CollectLimit} × the T backward passes", CollectLimit);
        AddWorst(rows, wrapper, $"Wrapper step ≤ {WrapperLimit} × (forward + T backward + aggregation floor + Adam step)", WrapperLimit);
        AddWorst(rows, representation, $"Representation-mode step ≤ {RepresentationLimit} × summed-loss step", RepresentationLimit);
        AddWorst(rows, lossWeighted, $"Loss-weighted step ≤ {LossWeightingLimit} × summed-loss step", LossWeightingLimit);
    }

    private static void Solvers(List<Result> results, List<string> rows)
    {
        foreach (var (methods, limit) in new[] { (SolverMethods, SolverLimitMicroseconds), (IterativeSolverMethods, IterativeLimitMicroseconds) })
        {
            foreach (var method in methods)
            {
                var parameters = new Dictionary<string, string> { ["T"] = $"{SolverTaskCount}" };
                if (TryFind(results, "SolverBenchmarks", method, parameters) is { } ns)
                {
                    var us = ns / NanosecondsPerMicrosecond;
                    rows.Add(Row($"{method} weights (host) < {limit} µs at T = {SolverTaskCount}", us < limit, $"{us:F1} µs"));
                }
            }
        }
    }

    /// <summary>The elementwise aggregators against one plain read of G: reported, no target.</summary>
    private static void Elementwise(List<Result> results, List<string> rows)
    {
        foreach (var method in ElementwiseMethods)
        {
            var ratios = results.Where(r => r.Class == "AggregationBenchmarks" && r.Method == method && r.Int("P") >= SmallestTargetSize)
                .Select(r => (Ratio: r.Median / Find(results, "AggregationBenchmarks", "Read", r.Parameters), Where: $"T={r["T"]}, P={r["P"]}"))
                .Where(x => double.IsFinite(x.Ratio))
                .ToList();
            if (ratios.Count > 0)
            {
                var worst = ratios.MaxBy(x => x.Ratio);
                rows.Add($"| {method} ÷ one read of G (reported, no target) | {worst.Ratio:F1}× at {worst.Where} (best {ratios.Min(x => x.Ratio):F1}×) | |");
            }
        }
    }

    private static void AddWorst(List<string> rows, List<(double Ratio, string Where)> ratios, string target, double limit)
    {
        if (ratios.Count > 0)
        {
            var worst = ratios.MaxBy(x => x.Ratio);
            rows.Add(Row(target, worst.Ratio <= limit, $"{worst.Ratio:F2}× ({worst.Where})"));
        }
    }

    private static string Row(string target, bool met, string measured) => $"| {target} | {measured} | {(met ? "met" : "**missed**")} |";

    private static double Find(List<Result> results, string type, string method, IReadOnlyDictionary<string, string> parameters) =>
        TryFind(results, type, method, parameters) ?? double.NaN;

    private static double? TryFind(List<Result> results, string type, string method, IReadOnlyDictionary<string, string> parameters) =>
        results.FirstOrDefault(r => r.Class == type && r.Method == method && parameters.All(p => r.Parameters.TryGetValue(p.Key, out var v) && v == p.Value))?.Median;

    private sealed record Result(string Class, string Method, IReadOnlyDictionary<string, string> Parameters, double Median)
    {
        public string this[string name] => Parameters.TryGetValue(name, out var v) ? v : "";

        public int Int(string name) => int.Parse(this[name], CultureInfo.InvariantCulture);
    }
}
