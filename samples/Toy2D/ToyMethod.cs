namespace GradSurgery.Samples.Toy2D;

/// <summary>A method as the figure labels it, and how to build a fresh weighting for one run.</summary>
/// <param name="Name">Label in the figure and the table.</param>
/// <param name="Create">Builds the weighting (a fresh one per run: PCGrad's random order is seeded per run).</param>
internal sealed record ToyMethod(string Name, Func<IGramianWeighting> Create)
{
    /// <summary>Seed of the random methods (PCGrad's and GradVac's order, RLW's draws), fixed so that runs repeat exactly.</summary>
    private const int PCGradSeed = 0;

    /// <summary>
    /// The methods of the figure: every Gram-space method with T = 2 (Krum needs T ≥ 3; Constant and
    /// TrimmedMean with T = 2 are Mean; GradDrop is elementwise, not a weighting). PCGrad averages and
    /// CAGrad divides by 1 + c as the authors' toy.py does (Adam makes these scales nearly irrelevant).
    /// </summary>
    public static IReadOnlyList<ToyMethod> All { get; } =
    [
        new("Mean (GD)", () => new Mean()),
        new("MGDA", () => new Mgda()),
        new("PCGrad", () => new PCGrad(PCGradReduction.Mean, seed: PCGradSeed)),
        new("CAGrad c=0.5", () => new CAGrad(0.5, CAGradRescale.OnePlusC)),
        new("GradOPS α=-2", () => new GradOps(-2)),
        new("GradOPS α=0", () => new GradOps(0)),
        new("GradOPS α=2", () => new GradOps(2)),
        new("Aligned-MTL", () => new AlignedMtl()),
        new("UPGrad", () => new UPGrad()),
        new("DualProj", () => new DualProj()),
        new("IMTL-G", () => new ImtlG()),
        new("Nash-MTL", () => new NashMtl()),
        new("GradVac", () => new GradVac(seed: PCGradSeed)),
        new("FairGrad α=1", () => new FairGrad()),
        new("FairGrad α=5", () => new FairGrad(5)),
        new("ConFIG", () => new ConFig()),
        new("RLW", () => new Rlw(PCGradSeed)),
        new("CR-MOGM(MGDA)", () => new CRMogm(new Mgda())),
    ];
}
