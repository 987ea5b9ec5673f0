using System;
using System.Collections.Generic;

namespace GradSurgery.Tests;

/// <summary>One factory per shipped method (fresh instance per call, deterministic), for theories over all methods.</summary>
public static class MethodFactories
{
    public static IEnumerable<object[]> All()
    {
        yield return new object[] { "Mean", new Func<GramianWeightedAggregator>(() => new Mean()) };
        yield return new object[] { "Sum", new Func<GramianWeightedAggregator>(() => new Sum()) };
        yield return new object[] { "MGDA", new Func<GramianWeightedAggregator>(() => new Mgda()) };
        yield return new object[] { "PCGrad", new Func<GramianWeightedAggregator>(() => new PCGrad(seed: 5)) };
        yield return new object[] { "CAGrad", new Func<GramianWeightedAggregator>(() => new CAGrad()) };
        yield return new object[] { "GradOPS", new Func<GramianWeightedAggregator>(() => new GradOps(-1)) };
        yield return new object[] { "Aligned-MTL", new Func<GramianWeightedAggregator>(() => new AlignedMtl()) };
    }
}
