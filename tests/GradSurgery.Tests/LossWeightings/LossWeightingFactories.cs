using System;
using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradSurgery.Tests.LossWeightings;

/// <summary>Every loss weighting, configured for T tasks, with a shared layer its losses can depend on (GradNorm's W).</summary>
internal static class LossWeightingFactories
{
    public const int Tasks = 3;

    public static readonly string[] Names = ["UW", "IMTL-L", "DWA", "GLS", "RLW", "STCH", "FAMO", "log", "GradNorm"];

    public static IEnumerable<object[]> All()
    {
        foreach (var name in Names)
            yield return [name];
    }

    public static ILossWeighting Create(string name, Parameter layer) => name switch
    {
        "UW" => new UncertaintyWeighting(Tasks, dtype: ScalarType.Float64),
        "IMTL-L" => new ImtlL(Tasks, dtype: ScalarType.Float64),
        "DWA" => new Dwa(Tasks),
        "GLS" => new Gls(),
        "RLW" => new RandomLossWeighting(seed: 5),
        "STCH" => new Stch(Tasks, mu: 0.5, warmupEpochs: 1),
        "FAMO" => new Famo(Tasks),
        "log" => new LogLosses(),
        "GradNorm" => new GradNorm(Tasks, [layer]),
        _ => throw new ArgumentException(name, nameof(name)),
    };

    /// <summary>A layer of ones: losses vₜ·mean(layer) have the value vₜ and a gradient on it.</summary>
    public static Parameter Layer() => new(torch.ones(2, dtype: ScalarType.Float64));

    /// <summary>Loss values of step k: all positive, changing at different rates.</summary>
    public static double[] Values(int step) =>
        [1.5 + Math.Sin(step), 2 * Math.Exp(-0.1 * step) + 0.1, 0.5 + (0.05 * step)];

    /// <summary>
    /// Runs steps [<paramref name="from"/>, <paramref name="to"/>) of a fixed schedule (one weigh, a plain
    /// SGD step on the weighting's parameters, <c>AfterStep</c>; an epoch ends every 3 steps) and returns
    /// every step's weights.
    /// </summary>
    public static List<double[]> Run(ILossWeighting weighting, Parameter layer, int from, int to)
    {
        var weights = new List<double[]>();
        for (var step = from; step < to; step++)
        {
            using var scope = NewDisposeScope();
            var values = Values(step);
            var losses = new List<Tensor>();
            foreach (var v in values)
                losses.Add(v * layer.mean());
            var weighted = weighting.Weigh(losses, values);
            var total = weighted.Terms[0];
            for (var t = 1; t < weighted.Terms.Count; t++)
                total = total + weighted.Terms[t];
            total.backward();
            using (torch.no_grad())
            {
                foreach (var p in weighting.Parameters)
                {
                    p.sub_(0.05 * p.grad!);
                    p.grad = null;
                }
            }
            layer.grad = null;
            weighting.AfterStep();
            if (step % 3 == 2)
                weighting.EndEpoch();
            weights.Add([.. weighted.Weights]);
        }
        return weights;
    }
}
