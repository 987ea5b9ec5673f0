namespace GradSurgery.Samples.MultiDigits;

/// <summary>
/// One row of the results: either all tasks trained through <see cref="GradientSurgeryOptimizer"/>
/// with a method, or a single-task baseline (trunk plus one head, plain Adam).
/// </summary>
/// <param name="Name">Row label.</param>
/// <param name="Method">Builds the method; null for a single-task baseline.</param>
/// <param name="SingleTask">The task of a single-task baseline; null for a multi-task row.</param>
internal sealed record Configuration(string Name, Func<IGramianWeighting>? Method, int? SingleTask)
{
    /// <summary>Seed of PCGrad's random projection order.</summary>
    private const int PCGradSeed = 0;

    /// <summary>Every method of the catalogue, Sum (plain joint training) first.</summary>
    public static IReadOnlyList<Configuration> Methods { get; } =
    [
        .. WeightingCatalog.Names
            .OrderBy(name => name != "Sum")
            .Select(name => new Configuration(name, () => WeightingCatalog.Create(name, PCGradSeed), null)),
    ];

    /// <summary>Single-task baselines for <paramref name="taskNames"/>.</summary>
    public static IReadOnlyList<Configuration> SingleTaskBaselines(IReadOnlyList<string> taskNames) =>
        [.. taskNames.Select((name, t) => new Configuration($"single task: {name}", null, t))];
}
