using System.Diagnostics;
using GradSurgery.Benchmarks.Aggregation;
using GradSurgery.Benchmarks.Training;

namespace GradSurgery.Benchmarks.Infrastructure;

/// <summary>
/// The ratio targets measured as paired comparisons: the two sides of a ratio run alternately
/// (A B B A …) and the median of the per-pair ratios is reported. On a shared machine whose speed
/// drifts over minutes, BenchmarkDotNet's separate runs of the two sides carry that drift into the
/// ratio; pairing cancels it. Uses the benchmark classes' own setups and steps.
/// </summary>
public static class PairedRatios
{
    private const int WarmupPairs = 2;

    /// <summary>
    /// Warm-up pairs of a loss-weighting row: each row builds a fresh model, and its first few steps
    /// (allocator, JIT tiers) favoured one side by up to 25% with only two.
    /// </summary>
    private const int LossWarmupPairs = 6;

    /// <summary>Pairs per loss-weighting row at both trunk sizes: their ratios sit near 1, where 9 pairs at 10M scattered ±15%.</summary>
    private const int LossPairs = 31;
    private const int SmallPairs = 21;
    private const int LargePairs = 9;
    private const int LargeSize = 10_000_000;

    /// <summary>Prints the paired ratios as Markdown (only the loss weightings' with <paramref name="lossWeightingsOnly"/>).</summary>
    public static int Run(bool smoke, bool lossWeightingsOnly = false)
    {
        BenchmarkScale.Smoke = smoke;
        Console.WriteLine("| target | configuration | median paired ratio | pairs |");
        Console.WriteLine("| --- | --- | ---: | ---: |");
        if (lossWeightingsOnly)
        {
            return LossWeightings(smoke);
        }

        foreach (var t in BenchmarkScale.Grid(2, 4, 8, 16))
        {
            foreach (var p in BenchmarkScale.Grid(1_000_000, LargeSize))
            {
                var bench = new AggregationBenchmarks { T = t, P = p };
                bench.Setup();
                var pairs = smoke ? 1 : p >= LargeSize ? LargePairs : SmallPairs;
                foreach (var method in BenchmarkMethods.All)
                {
                    var run = typeof(AggregationBenchmarks).GetMethod(method)!;
                    var ratio = Median(() => run.Invoke(bench, null), () => bench.Floor(), pairs);
                    Row("aggregation ÷ floor ≤ 1.15", $"{method}, T={t}, P={p:0e0}", ratio, pairs);
                }

                foreach (var elementwise in new Func<GradientDiagnostics>[] { bench.GradDrop, bench.TrimmedMean })
                {
                    var ratio = Median(() => elementwise(), () => bench.Read(), pairs);
                    Row("elementwise ÷ one read of G (reported)", $"{elementwise.Method.Name}, T={t}, P={p:0e0}", ratio, pairs);
                }

                bench.Cleanup();
            }
        }

        foreach (var trunk in BenchmarkScale.Grid("1M", "10M"))
        {
            foreach (var t in BenchmarkScale.Grid(2, 4, 8))
            {
                var pairs = smoke ? 1 : trunk == "10M" ? LargePairs : SmallPairs;
                var steps = new Dictionary<string, TrainingStepBenchmarks>();
                TrainingStepBenchmarks Step(string scenario)
                {
                    if (!steps.TryGetValue(scenario, out var b))
                    {
                        b = new TrainingStepBenchmarks { Trunk = trunk, T = t, Scenario = scenario };
                        b.Setup();
                        steps[scenario] = b;
                    }

                    return b;
                }

                var where = $"trunk {trunk}, T={t}";
                var forward = Step("ForwardTBackward");
                Row("collect ÷ (forward + T backward) ≤ 1.05", where, Median(Step("Collect").Step, forward.Step, pairs), pairs);
                var floor = Step("AggregationFloor");
                var inner = Step("InnerStep");
                foreach (var method in BenchmarkMethods.Training)
                {
                    var wrapper = Step($"Wrapper:{method}");
                    var ratio = Median(wrapper.Step, () => { forward.Step(); floor.Step(); inner.Step(); }, pairs);
                    Row("wrapper ÷ (forward + T backward + floor + Adam) ≤ 1.10", $"{method}, {where}", ratio, pairs);
                    wrapper.Cleanup();
                    steps.Remove($"Wrapper:{method}");
                }

                var summed = Step("SummedLoss");
                foreach (var method in new[] { "Sum", "AlignedMTL" })
                {
                    Row("representation ÷ summed loss ≤ 1.3", $"{method}, {where}", Median(Step($"Representation:{method}").Step, summed.Step, pairs), pairs);
                }

                LossWeightingRows(trunk, t, where, pairs);
                foreach (var b in steps.Values)
                {
                    b.Cleanup();
                }
            }
        }

        return 0;
    }

    /// <summary>The loss weightings' rows alone, for every trunk and T.</summary>
    private static int LossWeightings(bool smoke)
    {
        foreach (var trunk in BenchmarkScale.Grid("1M", "10M"))
        {
            foreach (var t in BenchmarkScale.Grid(2, 4, 8))
            {
                LossWeightingRows(trunk, t, $"trunk {trunk}, T={t}", smoke ? 1 : LossPairs);
            }
        }

        return 0;
    }

    /// <summary>
    /// Each loss weighting's wrapper step against the plain summed-loss step on the same model and Adam
    /// (one instance runs both sides, so both read and write the same memory).
    /// </summary>
    private static void LossWeightingRows(string trunk, int t, string where, int pairs)
    {
        foreach (var method in BenchmarkMethods.LossWeightings)
        {
            var target = BenchmarkMethods.OneBackward(method) ? "loss-weighted step ÷ summed-loss step ≤ 1.05" : "loss-weighted step ÷ summed-loss step (reported: T backward passes to W)";
            var lossStep = new TrainingStepBenchmarks { Trunk = trunk, T = t, Scenario = $"Loss:{method}" };
            lossStep.Setup();
            Row(target, $"{method}, {where}", Median(lossStep.Step, lossStep.SummedStep, pairs, LossWarmupPairs), pairs);
            lossStep.Cleanup();
        }
    }

    /// <summary>
    /// Median over <paramref name="pairs"/> of time(a)/time(b), alternating which side runs first. Each
    /// side of a pair runs enough repetitions to last at least <see cref="MinimumSampleMilliseconds"/>
    /// (calibrated on b after the warm-up pairs): one call of a millisecond is at the mercy of a single
    /// scheduler tick.
    /// </summary>
    /// <param name="a">The side measured.</param>
    /// <param name="b">The side it is divided by.</param>
    /// <param name="pairs">Pairs the median is taken over.</param>
    /// <param name="warmupPairs">Pairs run first and not counted.</param>
    /// <param name="floorMilliseconds">A lower bound on one call of <paramref name="b"/> (the machine limit's compute floor): each pair divides by the larger of it and b's measured time.</param>
    internal static double Median(Action a, Action b, int pairs, int warmupPairs = WarmupPairs, double floorMilliseconds = 0) =>
        MedianAndTime(a, b, pairs, warmupPairs, floorMilliseconds).Ratio;

    /// <summary><see cref="Median"/> and the median time of one call of <paramref name="a"/> in milliseconds over the same pairs.</summary>
    internal static (double Ratio, double Milliseconds) MedianAndTime(Action a, Action b, int pairs, int warmupPairs = WarmupPairs, double floorMilliseconds = 0)
    {
        var ratios = new List<double>();
        var times = new List<double>();
        var repetitions = 1;
        for (var i = -warmupPairs; i < pairs; i++)
        {
            double ta, tb;
            if (i % 2 == 0)
            {
                ta = Time(a, repetitions);
                tb = Time(b, repetitions);
            }
            else
            {
                tb = Time(b, repetitions);
                ta = Time(a, repetitions);
            }

            if (i == -1)
            {
                repetitions = Math.Max(1, (int)Math.Ceiling(MinimumSampleMilliseconds / Math.Max(Math.Max(tb, floorMilliseconds), 1e-3)));
            }
            else if (i >= 0)
            {
                ratios.Add(ta / Math.Max(tb, floorMilliseconds * repetitions));
                times.Add(ta / repetitions);
            }
        }

        ratios.Sort();
        times.Sort();
        return (ratios[ratios.Count / 2], times[times.Count / 2]);
    }

    /// <summary>Shortest timed sample: about 20 scheduler ticks of 1 ms on Linux, so one preemption moves a ratio by a few percent at most.</summary>
    private const double MinimumSampleMilliseconds = 20;

    private static double Time(Action action, int repetitions)
    {
        var clock = Stopwatch.StartNew();
        for (var r = 0; r < repetitions; r++)
        {
            action();
        }

        return clock.Elapsed.TotalMilliseconds;
    }

    internal static void Row(string target, string where, double ratio, int pairs) =>
        Console.WriteLine($"| {target} | {where} | {ratio:F3} | {pairs} |");
}
