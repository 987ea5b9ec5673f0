using System;
using System.Collections.Generic;

namespace GradSurgery.Tests;

/// <summary>
/// Every method of <see cref="WeightingCatalog"/> (fresh instance per call, seeded), plus GradOPS with
/// α = −1 (the catalogue's default α = 0 never reaches Eq. 5's weights) and the CR-MOGM decorator (not in
/// the catalogue: it needs an inner method). Theories over all methods take these.
/// </summary>
public static class MethodFactories
{
    /// <summary>Seed of the random methods, so that every run repeats.</summary>
    private const int Seed = 5;

    public static IEnumerable<object[]> All()
    {
        foreach (var name in WeightingCatalog.Names)
            yield return new object[] { name, new Func<IGramianWeighting>(() => WeightingCatalog.Create(name, Seed)) };
        yield return new object[] { "GradOPS α=-1", new Func<IGramianWeighting>(() => new GradOps(-1)) };
        yield return new object[] { "CR-MOGM(CAGrad)", new Func<IGramianWeighting>(() => new CRMogm(new CAGrad(), 0.5)) };
    }

    /// <summary>The weighting as an aggregator of [T, P] tensors.</summary>
    public static IGradientAggregator Aggregator(this IGramianWeighting weighting) => new GramianWeightedAggregator(weighting);
}
