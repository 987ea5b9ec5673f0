using TorchSharp.Modules;

namespace GradSurgery.Samples.MultiDigits;

/// <summary>
/// One row of the results: either all tasks trained through <see cref="GradientSurgeryOptimizer"/>
/// with a method, or a single-task baseline (trunk plus one head, plain Adam).
/// </summary>
/// <param name="Name">Row label.</param>
/// <param name="Method">Builds the method for the trunk's parameters; null for a single-task baseline.</param>
/// <param name="SingleTask">The task of a single-task baseline; null for a multi-task row.</param>
internal sealed record Configuration(string Name, Func<IEnumerable<Parameter>, IGradientAggregator>? Method, int? SingleTask)
{
    /// <summary>Seed of the random methods (task orders, RLW's and GradDrop's draws).</summary>
    private const int PCGradSeed = 0;

    /// <summary>
    /// Every method of the catalogue, Sum (plain joint training) first, then the configured ones that
    /// work with two tasks: the CR-MOGM decorator, GradVac per layer (the paper's granularity) and
    /// GradDrop. Krum needs T ≥ 3 and TrimmedMean with T = 2 is Mean.
    /// </summary>
    public static IReadOnlyList<Configuration> Methods { get; } =
    [
        .. WeightingCatalog.Names
            .OrderBy(name => name != "Sum")
            .Select(name => new Configuration(name, _ => new GramianWeightedAggregator(WeightingCatalog.Create(name, PCGradSeed)), null)),
        new("CR-MOGM(MGDA)", _ => new GramianWeightedAggregator(new CRMogm(new Mgda())), null),
        new("GradVac per layer", shared => GroupedAggregator.PerParameter(shared, () => new GradVac(seed: PCGradSeed)), null),
        new("GradDrop", _ => new GradDrop(seed: PCGradSeed), null),
    ];

    /// <summary>Single-task baselines for <paramref name="taskNames"/>.</summary>
    public static IReadOnlyList<Configuration> SingleTaskBaselines(IReadOnlyList<string> taskNames) =>
        [.. taskNames.Select((name, t) => new Configuration($"single task: {name}", null, t))];
}
