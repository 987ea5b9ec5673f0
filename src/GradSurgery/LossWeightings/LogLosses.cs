using System;
using System.Collections.Generic;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>
/// The loss-scale half of DB-MTL (Lin et al., Dual-Balancing for Multi-Task Learning, 2023): termₜ =
/// log(Lₜ + ε), so every task's gradient is ∇Lₜ/(Lₜ + ε) and the losses' scales no longer matter.
/// </summary>
/// <remarks>
/// Pair it with the gradient half, <see cref="DbMtl"/>, through the wrapper (the transform is applied
/// before the per-task gradients); alone it is the plain log-loss objective. ε = 1e-8 as LibMTL.
/// Stateless.
/// </remarks>
public sealed class LogLosses : ILossWeighting
{
    /// <summary>LibMTL's ε: keeps the logarithm finite at a zero loss.</summary>
    public const double Offset = 1e-8;

    private const string Method = "log";

    /// <inheritdoc />
    public string Name => Method;

    /// <summary>No trainable parameters.</summary>
    public IReadOnlyList<Parameter> Parameters => [];

    /// <summary>termₜ = log(Lₜ + ε); weights 1/(Lₜ + ε).</summary>
    /// <inheritdoc cref="ILossWeighting.Weigh" path="/param"/>
    /// <inheritdoc cref="ILossWeighting.Weigh" path="/exception"/>
    public WeightedLosses Weigh(IReadOnlyList<Tensor> losses, IReadOnlyList<double> values)
    {
        var count = LossInputs.Validate(losses, values, null, Method);
        LossInputs.RequireAbove(values, -Offset, "log(L + ε)", "the logarithm needs L + ε > 0");
        var weights = new double[count];
        for (var t = 0; t < count; t++)
            weights[t] = 1 / (values[t] + Offset);
        return new WeightedLosses(losses, x => (x + Offset).log(), weights);
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

    /// <summary>Empty: no state.</summary>
    public IReadOnlyDictionary<string, double[]> StateDict() => new Dictionary<string, double[]>();

    /// <summary>Accepts any dictionary (no state).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> is null.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, double[]> state) => ArgumentNullException.ThrowIfNull(state);
}
