using System;
using System.Collections.Generic;
using System.Linq;
using GradSurgery.Tests.Weightings;

namespace GradSurgery.Tests.Properties;

/// <summary>
/// Every method the library ships, configured as the property table shows it, with its declared
/// properties. A method added to <see cref="WeightingCatalog"/> fails <c>Every_catalogue_method_has_a_row</c>
/// until it has a row here.
/// </summary>
public static class SuiteMethods
{
    private const int Seed = 5;

    /// <summary>
    /// Nash-MTL's and FairGrad's 1e-12 diagonal regularisation leaves an update of about 1e-6 of the
    /// gradients, in no particular direction, at strongly stationary inputs (where no root exists).
    /// </summary>
    private const double AlphaFairSlack = 1e-5;

    /// <summary>The table's rows, in order.</summary>
    public static IReadOnlyList<SuiteMethod> All { get; } =
    [
        Weighting("Mean", new Mean(), nonConflicting: false, permutation: true, linear: true, nonZero: true),
        Weighting("Sum", new Sum(), nonConflicting: false, permutation: true, linear: true, nonZero: true),
        Weighting("MGDA", new Mgda(), nonConflicting: true, permutation: true, linear: true, nonZero: false),
        Fresh("PCGrad", _ => new PCGrad(seed: Seed), nonConflicting: false, permutation: false, linear: true, nonZero: true),
        Weighting("CAGrad", new CAGrad(), nonConflicting: false, permutation: true, linear: true, nonZero: true),
        Weighting("CAGrad c=1", new CAGrad(1.0), nonConflicting: true, permutation: true, linear: true, nonZero: true),
        Weighting("GradOPS", new GradOps(), nonConflicting: true, permutation: true, linear: true, nonZero: true),
        Weighting("GradOPS α=2", new GradOps(2), nonConflicting: true, permutation: true, linear: true, nonZero: true),
        Weighting("Aligned-MTL", new AlignedMtl(), nonConflicting: false, permutation: true, linear: true, nonZero: true),
        Weighting("UPGrad", new UPGrad(), nonConflicting: false, permutation: true, linear: true, nonZero: true),
        Weighting("UPGrad ε=0", new UPGrad(0), nonConflicting: true, permutation: true, linear: true, nonZero: true),
        Weighting("DualProj", new DualProj(), nonConflicting: false, permutation: true, linear: true, nonZero: true),
        Weighting("DualProj ε=0", new DualProj(0), nonConflicting: true, permutation: true, linear: true, nonZero: true),
        Weighting("IMTL-G", new ImtlG(), nonConflicting: false, permutation: true, linear: true, nonZero: true),
        Weighting("Nash-MTL", new NashMtl(), nonConflicting: true, permutation: true, linear: false, nonZero: true, slack: AlphaFairSlack),
        Weighting("Nash-MTL maxNorm=0", new NashMtl(maxNorm: 0), nonConflicting: true, permutation: true, linear: true, nonZero: true, slack: AlphaFairSlack),
        Fresh("GradVac", _ => new GradVac(seed: Seed), nonConflicting: false, permutation: false, linear: true, nonZero: true),
        Weighting("FairGrad", new FairGrad(), nonConflicting: true, permutation: true, linear: false, nonZero: true, slack: AlphaFairSlack),
        Weighting("FairGrad α=2", new FairGrad(2), nonConflicting: true, permutation: true, linear: false, nonZero: true, slack: AlphaFairSlack),
        Weighting("ConFIG", new ConFig(), nonConflicting: true, permutation: true, linear: true, nonZero: true),
        new("Krum f=1 k=2", _ => new Krum(1, 2).Aggregator(), 4, NonConflicting: false, PermutationInvariant: true, LinearUnderScaling: true, NonZeroUnlessStronglyStationary: true),
        Fresh("RLW", _ => new Rlw(Seed), nonConflicting: false, permutation: false, linear: true, nonZero: true),
        Fresh("Constant 1…T", t => new Constant(Enumerable.Range(1, t).Select(i => (double)i)), nonConflicting: false, permutation: false, linear: true, nonZero: true),
        Fresh("CR-MOGM(MGDA)", Warmed, nonConflicting: false, permutation: false, linear: true, nonZero: true),
        new("GradDrop", _ => new GradDrop(seed: Seed), 1, NonConflicting: false, PermutationInvariant: true, LinearUnderScaling: true, NonZeroUnlessStronglyStationary: true),
        new("TrimmedMean f=1", _ => new TrimmedMean(1), 3, NonConflicting: false, PermutationInvariant: true, LinearUnderScaling: true, NonZeroUnlessStronglyStationary: true),
    ];

    /// <summary>The rows as theory data.</summary>
    public static IEnumerable<object[]> Rows() => All.Select(m => new object[] { m });

    /// <summary>CR-MOGM after one call on other gradients, so that its average is not the inner weights alone.</summary>
    private static IGramianWeighting Warmed(int t)
    {
        var weighting = new CRMogm(new Mgda(), beta: 0.5);
        weighting.ComputeWeights(Gramian.FromGradients(GradientCases.Random(t, 99)));
        return weighting;
    }

    private static SuiteMethod Weighting(string label, IGramianWeighting weighting, bool nonConflicting, bool permutation, bool linear, bool nonZero, double slack = SuiteMethod.RoundOff) =>
        new(label, _ => weighting.Aggregator(), 1, nonConflicting, permutation, linear, nonZero, slack);

    private static SuiteMethod Fresh(string label, Func<int, IGramianWeighting> create, bool nonConflicting, bool permutation, bool linear, bool nonZero) =>
        new(label, t => create(t).Aggregator(), 1, nonConflicting, permutation, linear, nonZero);
}
