using System;
using System.Collections.Generic;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>
/// GLS, the geometric loss strategy (Chennupati et al., MultiNet++: Multi-Stream Feature Aggregation and
/// Geometric Loss Strategy for Multi-Task Learning, CVPR Workshops 2019): the objective is the geometric
/// mean (∏ₜ Lₜ)^(1/T) of the losses.
/// </summary>
/// <remarks>
/// Its gradient is Σₜ wₜ·∇Lₜ with wₜ = GM/(T·Lₜ): a task's weight is inversely proportional to its loss,
/// so the objective ignores the losses' scales. The terms are wₜ·Lₜ with those weights held constant,
/// whose sum is GM itself and whose gradient is the geometric mean's. GM is computed as exp(mean log Lₜ)
/// (no overflow of the product). The geometric mean of a zero or negative loss has no gradient: such
/// losses are rejected. Stateless.
/// </remarks>
public sealed class Gls : ILossWeighting
{
    private const string Method = "GLS";

    /// <inheritdoc />
    public string Name => Method;

    /// <summary>GLS has no trainable parameters.</summary>
    public IReadOnlyList<Parameter> Parameters => [];

    /// <summary>wₜ = GM/(T·Lₜ) and termₜ = wₜ·Lₜ.</summary>
    /// <inheritdoc cref="ILossWeighting.Weigh" path="/param"/>
    /// <inheritdoc cref="ILossWeighting.Weigh" path="/exception"/>
    public WeightedLosses Weigh(IReadOnlyList<Tensor> losses, IReadOnlyList<double> values)
    {
        var count = LossInputs.Validate(losses, values, null, Method);
        LossInputs.RequireAbove(values, 0, Method, "the geometric mean of a zero or negative loss has no gradient");
        var meanLog = 0.0;
        for (var t = 0; t < count; t++)
            meanLog += Math.Log(values[t]) / count;
        var weights = new double[count];
        for (var t = 0; t < count; t++)
            weights[t] = Math.Exp(meanLog - Math.Log(values[t])) / count;
        return ScaledLosses.Of(losses, weights);
    }

    /// <summary>Stateless.</summary>
    public void AfterStep()
    {
    }

    /// <summary>Stateless.</summary>
    public void EndEpoch()
    {
    }

    /// <summary>Stateless.</summary>
    public void Reset()
    {
    }

    /// <summary>Empty: GLS has no state.</summary>
    public IReadOnlyDictionary<string, double[]> StateDict() => new Dictionary<string, double[]>();

    /// <summary>Accepts any dictionary (GLS has no state).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> is null.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, double[]> state) => ArgumentNullException.ThrowIfNull(state);
}
