namespace GradSurgery.Samples.MultiDigits;

/// <summary>
/// One row of the results: all tasks trained through <see cref="GradientSurgeryOptimizer"/> with a
/// gradient method, a loss weighting or both; the summed losses with plain Adam; or a single-task
/// baseline (trunk plus one head, plain Adam).
/// </summary>
/// <param name="Name">Row label.</param>
/// <param name="Kind">What the row weighs: "gradients", "losses", "losses + gradients" or "baseline".</param>
/// <param name="Method">Builds the methods for a fresh network; null for the plain rows.</param>
/// <param name="SingleTask">The task of a single-task baseline; null for a multi-task row.</param>
internal sealed record Configuration(string Name, string Kind, Func<MultiTaskNet, MethodSetup>? Method, int? SingleTask)
{
    /// <summary>Seed of the random methods (task orders, RLW's and GradDrop's draws).</summary>
    private const int PCGradSeed = 0;

    /// <summary>Label of the rows that weigh per-task gradients.</summary>
    private const string Gradients = "gradients";

    /// <summary>Label of the rows that weigh the losses (one backward per step).</summary>
    private const string Losses = "losses";

    /// <summary>
    /// The plain summed loss first (the reference for time per step), then every method of the catalogue
    /// (Sum first), the configured gradient methods that work with two tasks (CR-MOGM, GradVac per layer,
    /// GradDrop; Krum needs T ≥ 3 and TrimmedMean with T = 2 is Mean), every loss weighting, and the two
    /// papers that combine both (DB-MTL, IMTL). STCH's warm-up is shortened to a third of the epochs when
    /// they are fewer than its default needs.
    /// </summary>
    public static IReadOnlyList<Configuration> Methods(int taskCount, int epochs) =>
    [
        new("sum of losses, plain Adam", "baseline", null, null),
        .. WeightingCatalog.Names
            .OrderBy(name => name != "Sum")
            .Select(name => new Configuration(name, Gradients, _ => MethodSetup.Gradient(new GramianWeightedAggregator(WeightingCatalog.Create(name, PCGradSeed))), null)),
        new("CR-MOGM(MGDA)", Gradients, _ => MethodSetup.Gradient(new GramianWeightedAggregator(new CRMogm(new Mgda()))), null),
        new("GradVac per layer", Gradients, net => MethodSetup.Gradient(GroupedAggregator.PerParameter(net.Trunk.parameters(), () => new GradVac(seed: PCGradSeed))), null),
        new("GradDrop", Gradients, _ => MethodSetup.Gradient(new GradDrop(seed: PCGradSeed)), null),
        new("UW", Losses, net => MethodSetup.Loss(new UncertaintyWeighting(taskCount, device: Device(net))), null),
        new("DWA", Losses, _ => MethodSetup.Loss(new Dwa(taskCount)), null),
        new("GLS", Losses, _ => MethodSetup.Loss(new Gls()), null),
        new("IMTL-L", Losses, net => MethodSetup.Loss(new ImtlL(taskCount, device: Device(net))), null),
        new("RLW (losses)", Losses, _ => MethodSetup.Loss(new RandomLossWeighting(seed: PCGradSeed)), null),
        new("STCH", Losses, _ => MethodSetup.Loss(new Stch(taskCount, warmupEpochs: Math.Min(Stch.DefaultWarmupEpochs, epochs / 3))), null),
        new("FAMO", Losses, _ => MethodSetup.Loss(new Famo(taskCount)), null),
        new("GradNorm", Losses, net => MethodSetup.Loss(new GradNorm(taskCount, net.LastSharedLayer.parameters())), null),
        new("DB-MTL", "losses + gradients", _ => new MethodSetup(new LogLosses(), new DbMtl()), null),
        new("IMTL (IMTL-L + IMTL-G)", "losses + gradients", net => new MethodSetup(new ImtlL(taskCount, device: Device(net)), new GramianWeightedAggregator(new ImtlG())), null),
    ];

    /// <summary>Single-task baselines for <paramref name="taskNames"/>.</summary>
    public static IReadOnlyList<Configuration> SingleTaskBaselines(IReadOnlyList<string> taskNames) =>
        [.. taskNames.Select((name, t) => new Configuration($"single task: {name}", "baseline", null, t))];

    private static TorchSharp.torch.Device Device(MultiTaskNet net) => net.Trunk.parameters().First().device;
}
