using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace GradSurgery.Tests.LossWeightings;

/// <summary>Task losses as float64 leaves with requires_grad: ∂(Σ terms)/∂Lₜ is each leaf's gradient, the effective weight.</summary>
internal static class LossLeaves
{
    public static List<Tensor> Of(params double[] values) =>
        [.. values.Select(v => torch.tensor(v, dtype: ScalarType.Float64).requires_grad_())];

    /// <summary>Weighs the values with <paramref name="weighting"/> and returns (terms' values, ∂Σterms/∂Lₜ by autograd, reported weights).</summary>
    public static (double[] Terms, double[] Gradients, double[] Weights) Run(ILossWeighting weighting, params double[] values)
    {
        using var scope = NewDisposeScope();
        var leaves = Of(values);
        var weighted = weighting.Weigh(leaves, values);
        var total = weighted.Terms[0];
        for (var t = 1; t < weighted.Terms.Count; t++)
            total = total + weighted.Terms[t];
        total.backward();
        return ([.. weighted.Terms.Select(x => x.item<double>())], [.. leaves.Select(l => l.grad!.item<double>())], [.. weighted.Weights]);
    }

    /// <summary>Only the reported weights (no backward).</summary>
    public static double[] Weights(ILossWeighting weighting, params double[] values)
    {
        using var scope = NewDisposeScope();
        return [.. weighting.Weigh(Of(values), values).Weights];
    }
}
