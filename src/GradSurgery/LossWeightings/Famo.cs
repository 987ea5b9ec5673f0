using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>
/// FAMO, fast adaptive multitask optimization (Liu et al., FAMO: Fast Adaptive Multitask Optimization,
/// NeurIPS 2023, Algorithm 1): O(1) space and time per step. With weights z = softmax(ξ), the step
/// back-propagates c·Σₜ zₜ·log Lₜ, c = (Σₜ zₜ/Lₜ)⁻¹; after the step the logits ξ move against
/// ∇ξ zᵀδ, δₜ = log Lₜ(before) − log Lₜ(after), by Adam with learning rate β and weight decay γ.
/// </summary>
/// <remarks>
/// <para>A task whose log loss fell least in the last step gains weight. Defaults of the authors and
/// LibMTL: β = 0.025, γ = 1e-3, ξ = 0, minimum losses 0, an offset 1e-8 inside the logarithms, Adam's
/// (0.9, 0.999, 1e-8), the weight decay added to the gradient as torch's Adam does.</para>
/// <para><b>The look after the step.</b> The references evaluate the same batch again after every step (a
/// second forward pass the training loop must remember). Here nothing extra is needed: when
/// <see cref="Weigh"/> runs after a step (<see cref="AfterStep"/>, which the wrapper calls), it takes the
/// new losses as the "after" of the previous step: the next batch's losses instead of the same batch's,
/// an estimate of the same decrease with the batch-to-batch noise added, and no extra forward. For the
/// paper's exact form, pass the same batch's losses after the step to <see cref="Observe"/>; the next
/// <see cref="Weigh"/> then does not update again. With gradient accumulation (several
/// <see cref="Weigh"/> per step) the "before" of a step is the mean of its micro-batches' losses, and only
/// the first <see cref="Weigh"/> after the step updates.</para>
/// </remarks>
public sealed class Famo : ILossWeighting
{
    /// <summary>The logits' learning rate β of the authors and LibMTL.</summary>
    public const double DefaultLearningRate = 0.025;

    /// <summary>The logits' weight decay γ of LibMTL (the authors' examples use 1e-3 to 1e-5).</summary>
    public const double DefaultWeightDecay = 1e-3;

    /// <summary>The authors' offset inside the logarithms: finite at a zero loss, negligible otherwise.</summary>
    public const double Offset = 1e-8;

    /// <summary>Adam's first-moment decay (torch's default, used by the authors).</summary>
    private const double Beta1 = 0.9;

    /// <summary>Adam's second-moment decay (torch's default).</summary>
    private const double Beta2 = 0.999;

    /// <summary>Adam's denominator offset (torch's default).</summary>
    private const double AdamEpsilon = 1e-8;

    private const string Method = "FAMO";
    private double[] _logits;
    private double[] _moment1;
    private double[] _moment2;
    private long _updates;
    private double[]? _beforeSum;
    private long _beforeCount;
    private bool _stepped;

    /// <summary>Creates FAMO.</summary>
    /// <param name="taskCount">T ≥ 1.</param>
    /// <param name="learningRate">β, the logits' Adam learning rate (finite, ≥ 0; 0 keeps equal weights).</param>
    /// <param name="weightDecay">γ, the logits' weight decay (finite, ≥ 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range.</exception>
    public Famo(int taskCount, double learningRate = DefaultLearningRate, double weightDecay = DefaultWeightDecay)
    {
        TaskCount = LossInputs.TaskCount(taskCount, Method);
        if (!(learningRate >= 0) || double.IsInfinity(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "FAMO's learningRate must be finite and ≥ 0.");
        if (!(weightDecay >= 0) || double.IsInfinity(weightDecay))
            throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "FAMO's weightDecay must be finite and ≥ 0.");
        LearningRate = learningRate;
        WeightDecay = weightDecay;
        _logits = new double[TaskCount];
        _moment1 = new double[TaskCount];
        _moment2 = new double[TaskCount];
    }

    /// <inheritdoc />
    public string Name => Method;

    /// <summary>T.</summary>
    public int TaskCount { get; }

    /// <summary>β.</summary>
    public double LearningRate { get; }

    /// <summary>γ.</summary>
    public double WeightDecay { get; }

    /// <summary>The task weights z = softmax(ξ) the next step uses (they sum to 1).</summary>
    public IReadOnlyList<double> TaskWeights => Array.AsReadOnly(StableSoftmax.Of(_logits));

    /// <summary>None: FAMO updates its logits by its own rule.</summary>
    public IReadOnlyList<Parameter> Parameters => [];

    /// <summary>
    /// Updates the logits first when a step was applied since the last call (these losses are that step's
    /// "after"), then returns termₜ = c·zₜ·log(Lₜ + ε) with weights c·zₜ/(Lₜ + ε).
    /// </summary>
    /// <inheritdoc cref="ILossWeighting.Weigh" path="/param"/>
    /// <exception cref="ArgumentException">The task count differs, the values do not match, or a loss is ≤ −1e-8.</exception>
    public WeightedLosses Weigh(IReadOnlyList<Tensor> losses, IReadOnlyList<double> values)
    {
        LossInputs.Validate(losses, values, TaskCount, Method);
        LossInputs.RequireAbove(values, -Offset, Method, "its logarithms need L + 1e-8 > 0");
        if (_stepped && _beforeSum is not null)
        {
            UpdateLogits(BeforeMean(), values);
            _beforeSum = null;
        }
        _stepped = false;
        if (_beforeSum is null)
        {
            _beforeSum = new double[TaskCount];
            _beforeCount = 0;
        }
        for (var t = 0; t < TaskCount; t++)
            _beforeSum[t] += values[t];
        _beforeCount++;
        var z = StableSoftmax.Of(_logits);
        var inverse = 0.0;
        for (var t = 0; t < TaskCount; t++)
            inverse += z[t] / (values[t] + Offset);
        var scales = new double[TaskCount];
        var weights = new double[TaskCount];
        for (var t = 0; t < TaskCount; t++)
        {
            scales[t] = z[t] / inverse;
            weights[t] = scales[t] / (values[t] + Offset);
        }
        return new WeightedLosses(losses, x => (x + Offset).log() * LossVector.Constants(scales, x), weights);
    }

    /// <summary>
    /// The paper's look after the step: updates the logits from the losses of the same batch evaluated
    /// after the step (for example under <c>torch.no_grad()</c>); the next <see cref="Weigh"/> then leaves
    /// the logits alone.
    /// </summary>
    /// <param name="lossesAfterStep">The T loss values after the step, finite and &gt; −1e-8.</param>
    /// <exception cref="ArgumentNullException"><paramref name="lossesAfterStep"/> is null.</exception>
    /// <exception cref="ArgumentException">The count differs from T, or a value is not finite or ≤ −1e-8.</exception>
    /// <exception cref="InvalidOperationException">No losses were weighed since the last update.</exception>
    public void Observe(IReadOnlyList<double> lossesAfterStep)
    {
        ArgumentNullException.ThrowIfNull(lossesAfterStep);
        if (lossesAfterStep.Count != TaskCount)
            throw new ArgumentException($"FAMO was created for {TaskCount} tasks; got {lossesAfterStep.Count} losses after the step.", nameof(lossesAfterStep));
        for (var t = 0; t < TaskCount; t++)
        {
            if (!double.IsFinite(lossesAfterStep[t]) || !(lossesAfterStep[t] > -Offset))
                throw new ArgumentException($"FAMO needs finite losses > −1e-8; loss {t} after the step is {lossesAfterStep[t]}.", nameof(lossesAfterStep));
        }
        if (_beforeSum is null)
            throw new InvalidOperationException("FAMO.Observe needs the losses before the step: call it after a step whose losses were weighed, once.");
        UpdateLogits(BeforeMean(), lossesAfterStep);
        _beforeSum = null;
        _stepped = false;
    }

    /// <summary>Records that a step was applied: the next <see cref="Weigh"/> looks at its effect.</summary>
    public void AfterStep() => _stepped = true;

    /// <summary>FAMO has no epoch statistics.</summary>
    public void EndEpoch()
    {
    }

    /// <summary>Equal weights again, Adam's moments cleared, nothing remembered.</summary>
    public void Reset()
    {
        _logits = new double[TaskCount];
        _moment1 = new double[TaskCount];
        _moment2 = new double[TaskCount];
        _updates = 0;
        _beforeSum = null;
        _beforeCount = 0;
        _stepped = false;
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double[]> StateDict() => new Dictionary<string, double[]>
    {
        ["logits"] = (double[])_logits.Clone(),
        ["adam_moment1"] = (double[])_moment1.Clone(),
        ["adam_moment2"] = (double[])_moment2.Clone(),
        ["adam_steps"] = [_updates],
        ["losses_before_sum"] = _beforeSum is null ? [] : (double[])_beforeSum.Clone(),
        ["losses_before_count"] = [_beforeCount],
        ["stepped"] = [_stepped ? 1 : 0],
    };

    /// <inheritdoc />
    public void LoadStateDict(IReadOnlyDictionary<string, double[]> state)
    {
        var logits = StateArrays.Read(state, "logits", TaskCount, Method);
        var moment1 = StateArrays.Read(state, "adam_moment1", TaskCount, Method);
        var moment2 = StateArrays.Read(state, "adam_moment2", TaskCount, Method);
        var updates = StateArrays.ReadCount(state, "adam_steps", Method);
        var beforeSum = StateArrays.ReadOptional(state, "losses_before_sum", TaskCount, Method);
        var beforeCount = StateArrays.ReadCount(state, "losses_before_count", Method);
        if ((beforeSum is null) != (beforeCount == 0))
            throw new ArgumentException("FAMO's \"losses_before_sum\" and \"losses_before_count\" disagree.", nameof(state));
        var stepped = StateArrays.ReadCount(state, "stepped", Method);
        if (stepped > 1)
            throw new ArgumentException($"FAMO's \"stepped\" must be 0 or 1; got {stepped}.", nameof(state));
        if (moment2.Any(v => v < 0))
            throw new ArgumentException("FAMO's \"adam_moment2\" must be ≥ 0.", nameof(state));
        (_logits, _moment1, _moment2, _updates, _beforeSum, _beforeCount, _stepped) = (logits, moment1, moment2, updates, beforeSum, beforeCount, stepped == 1);
    }

    /// <summary>One Adam step of ξ on ∇ξ zᵀδ = z ⊙ (δ − zᵀδ) plus γ·ξ.</summary>
    private void UpdateLogits(IReadOnlyList<double> before, IReadOnlyList<double> after)
    {
        var z = StableSoftmax.Of(_logits);
        var delta = new double[TaskCount];
        var mean = 0.0;
        for (var t = 0; t < TaskCount; t++)
        {
            delta[t] = Math.Log(before[t] + Offset) - Math.Log(after[t] + Offset);
            mean += z[t] * delta[t];
        }
        _updates++;
        var correction1 = 1 - Math.Pow(Beta1, _updates);
        var correction2 = 1 - Math.Pow(Beta2, _updates);
        for (var t = 0; t < TaskCount; t++)
        {
            var gradient = (z[t] * (delta[t] - mean)) + (WeightDecay * _logits[t]);
            _moment1[t] = (Beta1 * _moment1[t]) + ((1 - Beta1) * gradient);
            _moment2[t] = (Beta2 * _moment2[t]) + ((1 - Beta2) * gradient * gradient);
            _logits[t] -= LearningRate / correction1 * _moment1[t] / ((Math.Sqrt(_moment2[t]) / Math.Sqrt(correction2)) + AdamEpsilon);
        }
    }

    /// <summary>The mean of the losses weighed since the last update (one step's micro-batches).</summary>
    private double[] BeforeMean()
    {
        var mean = new double[TaskCount];
        for (var t = 0; t < TaskCount; t++)
            mean[t] = _beforeSum![t] / _beforeCount;
        return mean;
    }

}
