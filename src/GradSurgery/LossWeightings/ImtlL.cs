using System;
using System.Collections.Generic;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>
/// IMTL-L, the loss-balancing half of IMTL (Liu et al., Towards Impartial Multi-task Learning, ICLR
/// 2021): termₜ = e^(sₜ)·Lₜ − sₜ with a trainable scale sₜ per task.
/// </summary>
/// <remarks>
/// The scales <see cref="LogScales"/> are trained by the model's optimizer (give <see cref="Parameters"/>
/// to it; the paper updates them with the same gradient step). For a fixed loss the term is minimal at
/// e^(sₜ) = 1/Lₜ, where every scaled loss e^(sₜ)·Lₜ equals 1: the tasks' losses are brought to one scale.
/// The paper and LibMTL start at sₜ = 0; the weights reported are e^(sₜ). Combine it with
/// <see cref="ImtlG"/> through the wrapper for the paper's full IMTL.
/// </remarks>
public sealed class ImtlL : ILossWeighting, IParameterStateOnly
{
    /// <summary>The paper's and LibMTL's initial scale.</summary>
    public const double DefaultInitialLogScale = 0;

    private const string Method = "IMTL-L";
    private const string LogScalesKey = "log_scales";
    private readonly LossScales _scales;

    /// <summary>Creates IMTL-L with T scales.</summary>
    /// <param name="taskCount">T ≥ 1.</param>
    /// <param name="initialLogScale">The start of every sₜ (finite; the paper 0).</param>
    /// <param name="device">The device of the losses (default CPU).</param>
    /// <param name="dtype">float32 (default) or float64.</param>
    /// <exception cref="ArgumentOutOfRangeException">taskCount &lt; 1 or a non-finite initial value.</exception>
    /// <exception cref="ArgumentException">dtype is not float32 or float64.</exception>
    public ImtlL(int taskCount, double initialLogScale = DefaultInitialLogScale, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        _scales = new LossScales(LossInputs.TaskCount(taskCount, Method), initialLogScale, device, dtype, Method);
    }

    /// <inheritdoc />
    public string Name => Method;

    /// <summary>T.</summary>
    public int TaskCount => _scales.TaskCount;

    /// <summary>sₜ, trainable.</summary>
    public Parameter LogScales => _scales.Parameter;

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters => [LogScales];

    /// <summary>termₜ = e^(sₜ)·Lₜ − sₜ; weights e^(sₜ).</summary>
    /// <inheritdoc cref="ILossWeighting.Weigh" path="/param"/>
    /// <inheritdoc cref="ILossWeighting.Weigh" path="/exception"/>
    public WeightedLosses Weigh(IReadOnlyList<Tensor> losses, IReadOnlyList<double> values)
    {
        var count = LossInputs.Validate(losses, values, TaskCount, Method);
        _scales.RequireDevice(losses);
        var s = LogScales;
        var weights = new double[count];
        var logScales = _scales.Values();
        for (var t = 0; t < count; t++)
            weights[t] = Math.Exp(logScales[t]);
        return new WeightedLosses(losses, x => (x * s.exp()) - s, weights);
    }

    /// <summary>Nothing to do: the optimizer trains the scales.</summary>
    public void AfterStep()
    {
    }

    /// <summary>IMTL-L has no epoch statistics.</summary>
    public void EndEpoch()
    {
    }

    /// <summary>Sets every scale back to its initial value (in place: the optimizer keeps the tensor).</summary>
    public void Reset() => _scales.Reset();

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double[]> StateDict() => new Dictionary<string, double[]> { [LogScalesKey] = _scales.Values() };

    /// <inheritdoc />
    public void LoadStateDict(IReadOnlyDictionary<string, double[]> state) => _scales.Assign(StateArrays.Read(state, LogScalesKey, TaskCount, Method));
}
