namespace GradSurgery.Benchmarks.Infrastructure;

/// <summary>The methods every benchmark group names, by their benchmark label: the one place that maps a label to an aggregator.</summary>
public static class BenchmarkMethods
{
    /// <summary>Every method, as the aggregation benchmarks run them.</summary>
    public static IReadOnlyList<string> All { get; } = ["Mean", "Sum", "MGDA", "PCGrad", "CAGrad", "GradOPS", "AlignedMTL"];

    /// <summary>The methods of the training-step benchmarks: Mean is left out, under Adam it is Sum scaled by 1/T.</summary>
    public static IReadOnlyList<string> Training { get; } = [.. All.Where(name => name != "Mean")];

    /// <summary>A fresh aggregator for <paramref name="name"/> (PCGrad with a fixed seed, so runs repeat).</summary>
    public static GramianWeightedAggregator Create(string name) => name switch
    {
        "Mean" => new Mean(),
        "Sum" => new Sum(),
        "MGDA" => new Mgda(),
        "PCGrad" => new PCGrad(seed: 0),
        "CAGrad" => new CAGrad(),
        "GradOPS" => new GradOps(),
        "AlignedMTL" => new AlignedMtl(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, $"Known methods: {string.Join(", ", All)}."),
    };
}
