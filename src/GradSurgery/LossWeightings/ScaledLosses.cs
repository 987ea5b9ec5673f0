using System.Collections.Generic;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>The terms wₜ·Lₜ of a loss weighting whose weights are constants of the step.</summary>
internal static class ScaledLosses
{
    /// <summary>wₜ·Lₜ for every task (in the current dispose scope) with the weights alongside.</summary>
    public static WeightedLosses Of(IReadOnlyList<Tensor> losses, double[] weights) =>
        new(losses, x => x * LossVector.Constants(weights, x), weights);
}
