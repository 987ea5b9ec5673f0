using System;
using System.Collections.Generic;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>
/// UW, uncertainty weighting (Kendall, Gal and Cipolla, Multi-Task Learning Using Uncertainty to Weigh
/// Losses for Scene Geometry and Semantics, CVPR 2018): termₜ = Lₜ/(2σₜ²) + log σₜ with trainable
/// sₜ = log σₜ², that is Lₜ·e^(−sₜ)/2 + sₜ/2.
/// </summary>
/// <remarks>
/// <para>The log-variances <see cref="LogVariances"/> are trained by the model's optimizer (give
/// <see cref="Parameters"/> to it, as the paper and LibMTL do). For a fixed loss the term is minimal at
/// e^(sₜ) = Lₜ, so a task whose loss stays at σ² (a Gaussian likelihood's noise variance) ends at the
/// weight 1/(2σ²). Conventions: LibMTL's ½ on every task (the paper writes 1/σ² for classification
/// losses) and its start sₜ = −0.5; the weights reported are e^(−sₜ)/2.</para>
/// </remarks>
public sealed class UncertaintyWeighting : ILossWeighting, IParameterStateOnly
{
    /// <summary>LibMTL's initial log-variance.</summary>
    public const double DefaultInitialLogVariance = -0.5;

    private const string Method = "UW";
    private const string LogVariancesKey = "log_variances";
    private readonly LossScales _scales;

    /// <summary>Creates UW with T log-variances.</summary>
    /// <param name="taskCount">T ≥ 1.</param>
    /// <param name="initialLogVariance">The start of every sₜ (finite; LibMTL −0.5).</param>
    /// <param name="device">The device of the losses (default CPU).</param>
    /// <param name="dtype">float32 (default) or float64.</param>
    /// <exception cref="ArgumentOutOfRangeException">taskCount &lt; 1 or a non-finite initial value.</exception>
    /// <exception cref="ArgumentException">dtype is not float32 or float64.</exception>
    public UncertaintyWeighting(int taskCount, double initialLogVariance = DefaultInitialLogVariance, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        _scales = new LossScales(LossInputs.TaskCount(taskCount, Method), initialLogVariance, device, dtype, Method);
    }

    /// <inheritdoc />
    public string Name => Method;

    /// <summary>T.</summary>
    public int TaskCount => _scales.TaskCount;

    /// <summary>sₜ = log σₜ², trainable.</summary>
    public Parameter LogVariances => _scales.Parameter;

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters => [LogVariances];

    /// <summary>termₜ = Lₜ·e^(−sₜ)/2 + sₜ/2; weights e^(−sₜ)/2.</summary>
    /// <inheritdoc cref="ILossWeighting.Weigh" path="/param"/>
    /// <inheritdoc cref="ILossWeighting.Weigh" path="/exception"/>
    public WeightedLosses Weigh(IReadOnlyList<Tensor> losses, IReadOnlyList<double> values)
    {
        var count = LossInputs.Validate(losses, values, TaskCount, Method);
        _scales.RequireDevice(losses);
        var s = LogVariances;
        var weights = new double[count];
        var logVariances = _scales.Values();
        for (var t = 0; t < count; t++)
            weights[t] = Math.Exp(-logVariances[t]) / 2;
        return new WeightedLosses(losses, x => (x * s.neg().exp() * 0.5) + (s * 0.5), weights);
    }

    /// <summary>Nothing to do: the optimizer trains the log-variances.</summary>
    public void AfterStep()
    {
    }

    /// <summary>UW has no epoch statistics.</summary>
    public void EndEpoch()
    {
    }

    /// <summary>Sets every log-variance back to its initial value (in place: the optimizer keeps the tensor).</summary>
    public void Reset() => _scales.Reset();

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double[]> StateDict() => new Dictionary<string, double[]> { [LogVariancesKey] = _scales.Values() };

    /// <inheritdoc />
    public void LoadStateDict(IReadOnlyDictionary<string, double[]> state) => _scales.Assign(StateArrays.Read(state, LogVariancesKey, TaskCount, Method));
}
