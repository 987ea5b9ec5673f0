using System;
using System.Collections.Generic;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>
/// STCH, smooth Tchebycheff scalarisation (Lin et al., Smooth Tchebycheff Scalarization for
/// Multi-Objective Optimization, ICML 2024, Eq. 8): the objective is T·μ·log Σₜ exp(ℓₜ/μ), a smooth
/// maximum of the normalised losses ℓₜ = log(Lₜ/nₜ) that approaches T·maxₜ ℓₜ as μ → 0.
/// </summary>
/// <remarks>
/// <para>Conventions of the authors' multi-task code (also LibMTL's): preferences λ = 1; the losses are
/// log-normalised by a nadir point nₜ, the mean loss of the last warm-up epoch, and the ideal point is the
/// origin of that log-normalised space (ℓₜ = 0 where a task is back at its nadir); μ = 1 and 4 warm-up
/// epochs by default. During the warm-up (epochs 0 … <see cref="WarmupEpochs"/>, epoch ends signalled by
/// <see cref="EndEpoch"/>) the objective is Σₜ log Lₜ, and the last warm-up epoch's losses are averaged into
/// n. A small offset 1e-20 inside every logarithm keeps a zero loss finite, as the reference.</para>
/// <para>The terms are T·pₜ·ℓₜ with pₜ = softmax(ℓ/μ)ₜ held constant: their gradient is the objective's
/// (their sum is not its value). The weights reported are ∂termₜ/∂Lₜ.</para>
/// </remarks>
public sealed class Stch : ILossWeighting
{
    /// <summary>The authors' and LibMTL's smoothing μ.</summary>
    public const double DefaultMu = 1.0;

    /// <summary>The authors' and LibMTL's warm-up epochs before the nadir epoch.</summary>
    public const int DefaultWarmupEpochs = 4;

    /// <summary>The reference's offset inside the logarithms: finite at a zero loss, negligible otherwise.</summary>
    public const double Offset = 1e-20;

    private const string Method = "STCH";
    private long _epoch;
    private double[] _sums;
    private long _count;
    private double[]? _nadir;

    /// <summary>Creates STCH.</summary>
    /// <param name="taskCount">T ≥ 1.</param>
    /// <param name="mu">The smoothing μ, finite and &gt; 0.</param>
    /// <param name="warmupEpochs">Epochs of plain log losses before the epoch that measures the nadir point (≥ 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range.</exception>
    public Stch(int taskCount, double mu = DefaultMu, int warmupEpochs = DefaultWarmupEpochs)
    {
        TaskCount = LossInputs.TaskCount(taskCount, Method);
        if (!(mu > 0) || double.IsInfinity(mu))
            throw new ArgumentOutOfRangeException(nameof(mu), mu, "STCH's mu must be finite and > 0.");
        if (warmupEpochs < 0)
            throw new ArgumentOutOfRangeException(nameof(warmupEpochs), warmupEpochs, "STCH's warmupEpochs must be ≥ 0.");
        Mu = mu;
        WarmupEpochs = warmupEpochs;
        _sums = new double[TaskCount];
    }

    /// <inheritdoc />
    public string Name => Method;

    /// <summary>T.</summary>
    public int TaskCount { get; }

    /// <summary>The smoothing μ.</summary>
    public double Mu { get; }

    /// <summary>Epochs of plain log losses before the nadir epoch.</summary>
    public int WarmupEpochs { get; }

    /// <summary>The nadir point n (mean losses of the nadir epoch); null until that epoch has ended.</summary>
    public IReadOnlyList<double>? Nadir => _nadir is null ? null : Array.AsReadOnly(_nadir);

    /// <summary>STCH has no trainable parameters.</summary>
    public IReadOnlyList<Parameter> Parameters => [];

    /// <summary>Warm-up: termₜ = log(Lₜ + 1e-20). Afterwards: termₜ = T·pₜ·log(Lₜ/nₜ + 1e-20).</summary>
    /// <inheritdoc cref="ILossWeighting.Weigh" path="/param"/>
    /// <inheritdoc cref="ILossWeighting.Weigh" path="/exception"/>
    public WeightedLosses Weigh(IReadOnlyList<Tensor> losses, IReadOnlyList<double> values)
    {
        LossInputs.Validate(losses, values, TaskCount, Method);
        LossInputs.RequireAbove(values, -Offset, Method, "its logarithms need L + 1e-20 > 0");
        var weights = new double[TaskCount];
        if (_nadir is not { } nadir)
        {
            for (var t = 0; t < TaskCount; t++)
                weights[t] = 1 / (values[t] + Offset);
            if (_epoch == WarmupEpochs)
            {
                for (var t = 0; t < TaskCount; t++)
                    _sums[t] += values[t];
                _count++;
            }
            return new WeightedLosses(losses, x => (x + Offset).log(), weights);
        }
        var sharpened = new double[TaskCount];
        for (var t = 0; t < TaskCount; t++)
            sharpened[t] = Math.Log((values[t] / nadir[t]) + Offset) / Mu;
        var p = StableSoftmax.Of(sharpened);
        var scales = new double[TaskCount];
        for (var t = 0; t < TaskCount; t++)
        {
            scales[t] = TaskCount * p[t];
            weights[t] = scales[t] / (values[t] + (Offset * nadir[t]));
        }
        return new WeightedLosses(losses, x => ((x / LossVector.Constants(nadir, x)) + Offset).log() * LossVector.Constants(scales, x), weights);
    }

    /// <summary>Nothing happens per step.</summary>
    public void AfterStep()
    {
    }

    /// <summary>Closes an epoch; closing the nadir epoch (number <see cref="WarmupEpochs"/>, from 0) fixes the nadir point.</summary>
    /// <exception cref="InvalidOperationException">The nadir epoch ends with no losses weighed, or with a mean loss ≤ 0.</exception>
    public void EndEpoch()
    {
        if (_epoch == WarmupEpochs)
        {
            if (_count == 0)
                throw new InvalidOperationException("STCH: the nadir epoch ended with no losses weighed.");
            var nadir = new double[TaskCount];
            for (var t = 0; t < TaskCount; t++)
            {
                nadir[t] = _sums[t] / _count;
                if (!(nadir[t] > 0))
                    throw new InvalidOperationException($"STCH: task {t}'s mean loss over the nadir epoch is {nadir[t]}; the nadir point must be > 0 to normalise by it.");
            }
            _nadir = nadir;
        }
        _epoch++;
    }

    /// <summary>Back to epoch 0 with no nadir point.</summary>
    public void Reset()
    {
        _epoch = 0;
        _sums = new double[TaskCount];
        _count = 0;
        _nadir = null;
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double[]> StateDict() => new Dictionary<string, double[]>
    {
        ["epoch"] = [_epoch],
        ["nadir_sums"] = (double[])_sums.Clone(),
        ["nadir_count"] = [_count],
        ["nadir"] = _nadir is null ? [] : (double[])_nadir.Clone(),
    };

    /// <inheritdoc />
    public void LoadStateDict(IReadOnlyDictionary<string, double[]> state)
    {
        var epoch = StateArrays.ReadCount(state, "epoch", Method);
        var sums = StateArrays.Read(state, "nadir_sums", TaskCount, Method);
        var count = StateArrays.ReadCount(state, "nadir_count", Method);
        var nadir = StateArrays.ReadOptional(state, "nadir", TaskCount, Method);
        if ((nadir is null) != (epoch <= WarmupEpochs))
            throw new ArgumentException($"STCH's state at epoch {epoch} must {(epoch <= WarmupEpochs ? "not yet " : "")}have a nadir point (warm-up of {WarmupEpochs} epochs).", nameof(state));
        if (nadir is not null && Array.Exists(nadir, n => !(n > 0)))
            throw new ArgumentException("STCH's nadir point must be > 0.", nameof(state));
        (_epoch, _sums, _count, _nadir) = (epoch, sums, count, nadir);
    }
}
