namespace GradSurgery.Benchmarks.Training;

/// <summary>The methods the training benchmarks name, by their benchmark label.</summary>
public static class TrainingMethods
{
    /// <summary>A fresh aggregator for <paramref name="name"/>.</summary>
    public static GramianWeightedAggregator Create(string name) => name switch
    {
        "Sum" => new Sum(),
        "MGDA" => new Mgda(),
        "PCGrad" => new PCGrad(seed: 0),
        "CAGrad" => new CAGrad(),
        "GradOPS" => new GradOps(),
        "AlignedMTL" => new AlignedMtl(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown method."),
    };
}
