namespace GradSurgery.Benchmarks.Infrastructure;

/// <summary>
/// The methods every benchmark group names, taken from <see cref="WeightingCatalog"/>: a label is the
/// catalogue name without hyphens (a valid benchmark method name, e.g. "AlignedMTL" for "Aligned-MTL").
/// </summary>
public static class BenchmarkMethods
{
    /// <summary>Seed of PCGrad's random order, so that runs repeat.</summary>
    private const int Seed = 0;

    /// <summary>Every method, as the aggregation benchmarks run them.</summary>
    public static IReadOnlyList<string> All { get; } = [.. WeightingCatalog.Names.Select(name => name.Replace("-", "", StringComparison.Ordinal))];

    /// <summary>The methods of the training-step benchmarks: Mean is left out, under Adam it is Sum scaled by 1/T.</summary>
    public static IReadOnlyList<string> Training { get; } = [.. All.Where(name => name != "Mean")];

    /// <summary>A fresh weighting for <paramref name="label"/> with the catalogue's defaults.</summary>
    public static IGramianWeighting Weighting(string label) => WeightingCatalog.Create(label, Seed);

    /// <summary>A fresh aggregator for <paramref name="label"/>.</summary>
    public static IGradientAggregator Create(string label) => new GramianWeightedAggregator(Weighting(label));

    /// <summary>The loss weightings of the training-step benchmarks (labels without hyphens).</summary>
    public static IReadOnlyList<string> LossWeightings { get; } = ["UW", "DWA", "GLS", "IMTLL", "RLW", "STCH", "FAMO", "GradNorm"];

    /// <summary>The loss weightings held to the one-backward target (GradNorm adds T backward passes to its layer by design).</summary>
    public static bool OneBackward(string label) => label != "GradNorm";

    /// <summary>A fresh loss weighting for <paramref name="label"/> with its paper's defaults, for <paramref name="model"/>'s T tasks.</summary>
    public static ILossWeighting LossWeighting(string label, Training.MultiHeadMlp model)
    {
        var t = model.Heads.Count;
        var device = model.LastSharedLayer.weight!.device;
        return label switch
        {
            "UW" => new UncertaintyWeighting(t, device: device),
            "DWA" => new Dwa(t),
            "GLS" => new Gls(),
            "IMTLL" => new ImtlL(t, device: device),
            "RLW" => new RandomLossWeighting(Seed),
            "STCH" => new Stch(t),
            "FAMO" => new Famo(t),
            "GradNorm" => new GradNorm(t, model.LastSharedLayer.parameters()),
            _ => throw new ArgumentOutOfRangeException(nameof(label), label, "Unknown loss weighting."),
        };
    }
}
