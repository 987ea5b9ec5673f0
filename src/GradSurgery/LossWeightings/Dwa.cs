using System;
using System.Collections.Generic;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>
/// DWA, dynamic weight average (Liu, Johns and Davison, End-to-End Multi-Task Learning with Attention,
/// CVPR 2019, Eq. 7): wₜ = T·softmax(rₜ/temperature) with rₜ = L̄ₜ(k−1)/L̄ₜ(k−2), the ratio of task t's
/// mean loss over the last two epochs; wₜ = 1 during the first two epochs.
/// </summary>
/// <remarks>
/// A task whose loss stalls (r near 1) gains weight over tasks whose loss still falls (r &lt; 1).
/// Epochs end when <see cref="EndEpoch"/> is called (<see cref="GradientSurgeryOptimizer.EndEpoch"/>
/// forwards it); the epoch means are of the raw losses each <see cref="Weigh"/> received, as the paper and
/// LibMTL (temperature 2). Losses are expected positive; a task whose epoch mean two epochs back is 0 gets
/// the ratio 1 (no signal) where the formula would divide by zero.
/// </remarks>
public sealed class Dwa : ILossWeighting
{
    /// <summary>The paper's and LibMTL's temperature.</summary>
    public const double DefaultTemperature = 2.0;

    private const string Method = "DWA";
    private double[] _sums;
    private long _count;
    private double[]? _last;
    private double[]? _beforeLast;

    /// <summary>Creates DWA.</summary>
    /// <param name="taskCount">T ≥ 1.</param>
    /// <param name="temperature">The softmax temperature, finite and &gt; 0 (large values give equal weights).</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range.</exception>
    public Dwa(int taskCount, double temperature = DefaultTemperature)
    {
        TaskCount = LossInputs.TaskCount(taskCount, Method);
        if (!(temperature > 0) || double.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "DWA's temperature must be finite and > 0.");
        Temperature = temperature;
        _sums = new double[TaskCount];
    }

    /// <inheritdoc />
    public string Name => Method;

    /// <summary>T.</summary>
    public int TaskCount { get; }

    /// <summary>The softmax temperature.</summary>
    public double Temperature { get; }

    /// <summary>Completed epochs whose means DWA remembers (0, 1 or 2).</summary>
    public int RememberedEpochs => _beforeLast is not null ? 2 : _last is not null ? 1 : 0;

    /// <summary>DWA has no trainable parameters.</summary>
    public IReadOnlyList<Parameter> Parameters => [];

    /// <summary>The current weights wₜ (one per task); adds the values to the running epoch mean.</summary>
    /// <inheritdoc cref="ILossWeighting.Weigh" path="/param"/>
    /// <inheritdoc cref="ILossWeighting.Weigh" path="/exception"/>
    public WeightedLosses Weigh(IReadOnlyList<Tensor> losses, IReadOnlyList<double> values)
    {
        LossInputs.Validate(losses, values, TaskCount, Method);
        var weights = CurrentWeights();
        for (var t = 0; t < TaskCount; t++)
            _sums[t] += values[t];
        _count++;
        return ScaledLosses.Of(losses, weights);
    }

    /// <summary>Nothing happens per step.</summary>
    public void AfterStep()
    {
    }

    /// <summary>Closes the epoch: its mean losses become the latest of the two DWA compares.</summary>
    /// <exception cref="InvalidOperationException">No losses were weighed since the last epoch ended.</exception>
    public void EndEpoch()
    {
        if (_count == 0)
            throw new InvalidOperationException("DWA: EndEpoch was called with no losses weighed since the last epoch ended.");
        _beforeLast = _last;
        _last = new double[TaskCount];
        for (var t = 0; t < TaskCount; t++)
            _last[t] = _sums[t] / _count;
        _sums = new double[TaskCount];
        _count = 0;
    }

    /// <summary>Forgets every epoch.</summary>
    public void Reset()
    {
        _sums = new double[TaskCount];
        _count = 0;
        _last = null;
        _beforeLast = null;
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double[]> StateDict() => new Dictionary<string, double[]>
    {
        ["epoch_sums"] = (double[])_sums.Clone(),
        ["epoch_count"] = [_count],
        ["last_means"] = _last is null ? [] : (double[])_last.Clone(),
        ["before_last_means"] = _beforeLast is null ? [] : (double[])_beforeLast.Clone(),
    };

    /// <inheritdoc />
    public void LoadStateDict(IReadOnlyDictionary<string, double[]> state)
    {
        var sums = StateArrays.Read(state, "epoch_sums", TaskCount, Method);
        var count = StateArrays.ReadCount(state, "epoch_count", Method);
        var last = StateArrays.ReadOptional(state, "last_means", TaskCount, Method);
        var beforeLast = StateArrays.ReadOptional(state, "before_last_means", TaskCount, Method);
        if (beforeLast is not null && last is null)
            throw new ArgumentException("DWA's state has means two epochs back but none one epoch back.", nameof(state));
        (_sums, _count, _last, _beforeLast) = (sums, count, last, beforeLast);
    }

    private double[] CurrentWeights()
    {
        var weights = new double[TaskCount];
        if (_last is null || _beforeLast is null)
        {
            Array.Fill(weights, 1.0);
            return weights;
        }
        for (var t = 0; t < TaskCount; t++)
        {
            var ratio = _beforeLast[t] != 0 ? _last[t] / _beforeLast[t] : 1.0;
            weights[t] = ratio / Temperature;
        }
        var probabilities = StableSoftmax.Of(weights);
        for (var t = 0; t < TaskCount; t++)
            weights[t] = TaskCount * probabilities[t];
        return weights;
    }
}
