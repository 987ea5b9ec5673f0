using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>
/// GradNorm (Chen et al., GradNorm: Gradient Normalization for Adaptive Loss Balancing in Deep Multitask
/// Networks, ICML 2018, Algorithm 1): trainable loss weights wₜ balance the gradient norms
/// Gₜ = ‖∇_W wₜLₜ‖ on a chosen layer W by descending L_grad = Σₜ |Gₜ − Ḡ·rₜ^α|, where Ḡ is the mean norm,
/// rₜ = L̃ₜ/mean L̃ the relative inverse training rate and L̃ₜ = Lₜ/Lₜ(0); then Σ wₜ = T again.
/// </summary>
/// <remarks>
/// <para>As the paper: W is the last shared layer (the caller chooses its parameters), the targets Ḡ·rₜ^α
/// are constants, the weights start at 1 and are trained by the model's optimizer (give
/// <see cref="Parameters"/> to it): each <see cref="Weigh"/> adds ∂L_grad/∂wₜ = sign(Gₜ − targetₜ)·‖∇_W Lₜ‖
/// to <see cref="Weights"/>' gradient, and <see cref="AfterStep"/> rescales the weights to sum T (the wrapper
/// calls it after every step). Lₜ(0) is the loss of the first call (the paper's t = 0; LibMTL uses the
/// first epoch's mean) and must be &gt; 0; α = 1.5 (LibMTL's default; the paper tunes it per dataset).
/// The terms are wₜ·Lₜ with the weights as constants (the model's gradient does not reach wₜ).</para>
/// <para>Cost: the norms need T extra backward passes from the losses to W only (cheap when W is near the
/// heads), then the wrapper's one backward of the sum. Where every L̃ₜ is 0, rₜ = 1.</para>
/// </remarks>
public sealed class GradNorm : ILossWeighting
{
    /// <summary>LibMTL's default restoring strength α.</summary>
    public const double DefaultAlpha = 1.5;

    /// <summary>The initial weight of every task (the paper's).</summary>
    private const double InitialWeight = 1.0;

    private const string Method = "GradNorm";
    private readonly Parameter[] _layer;
    private readonly LossScales _weights;
    private double[]? _initial;

    /// <summary>Creates GradNorm.</summary>
    /// <param name="taskCount">T ≥ 1.</param>
    /// <param name="layer">The parameters of the shared layer W whose gradient norms are balanced (trainable, one device); the weights live on their device.</param>
    /// <param name="alpha">α, finite and ≥ 0 (0 equalises the gradient norms).</param>
    /// <exception cref="ArgumentNullException"><paramref name="layer"/> is null.</exception>
    /// <exception cref="ArgumentException">The layer is empty, frozen, holds a null or is spread over devices.</exception>
    /// <exception cref="ArgumentOutOfRangeException">taskCount &lt; 1 or α out of range.</exception>
    public GradNorm(int taskCount, IEnumerable<Parameter> layer, double alpha = DefaultAlpha)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var count = LossInputs.TaskCount(taskCount, Method);
        _layer = layer.ToArray();
        if (_layer.Length == 0)
            throw new ArgumentException("GradNorm's layer has no parameters: pass the parameters of the last shared layer.", nameof(layer));
        if (_layer.Any(p => p is null))
            throw new ArgumentException("GradNorm's layer holds a null parameter.", nameof(layer));
        if (_layer.Any(p => !p.requires_grad))
            throw new ArgumentException("GradNorm's layer holds a frozen parameter (requires_grad = false): its gradient norm would be 0.", nameof(layer));
        if (_layer.Select(p => p.device.ToString()).Distinct().Count() > 1)
            throw new ArgumentException("GradNorm's layer is spread over several devices.", nameof(layer));
        if (!(alpha >= 0) || double.IsInfinity(alpha))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "GradNorm's alpha must be finite and ≥ 0.");
        Alpha = alpha;
        _weights = new LossScales(count, InitialWeight, _layer[0].device, ScalarType.Float32, Method);
    }

    /// <inheritdoc />
    public string Name => Method;

    /// <summary>T.</summary>
    public int TaskCount => _weights.TaskCount;

    /// <summary>α.</summary>
    public double Alpha { get; }

    /// <summary>The trainable loss weights wₜ.</summary>
    public Parameter Weights => _weights.Parameter;

    /// <summary>The losses of the first call, Lₜ(0); null before it.</summary>
    public IReadOnlyList<double>? InitialLosses => _initial is null ? null : Array.AsReadOnly(_initial);

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters => [Weights];

    /// <summary>Adds ∂L_grad/∂w to <see cref="Weights"/>' gradient and returns termₜ = wₜ·Lₜ.</summary>
    /// <inheritdoc cref="ILossWeighting.Weigh" path="/param"/>
    /// <exception cref="ArgumentException">The task count differs, the values do not match, a loss is negative (or ≤ 0 on the first call), or the losses are on another device than the layer.</exception>
    public WeightedLosses Weigh(IReadOnlyList<Tensor> losses, IReadOnlyList<double> values)
    {
        LossInputs.Validate(losses, values, TaskCount, Method);
        _weights.RequireDevice(losses);
        if (_initial is null)
            LossInputs.RequireAbove(values, 0, Method, "the first losses are the reference of the training rates");
        for (var t = 0; t < TaskCount; t++)
        {
            if (values[t] < 0)
                throw new ArgumentException($"GradNorm needs non-negative losses; loss {t} is {values[t]}.", nameof(values));
        }
        var initial = _initial ?? [.. values];
        var norms = LayerGradientNorms(losses);
        var w = _weights.Values();
        var rates = new double[TaskCount];
        var meanRate = 0.0;
        var meanNorm = 0.0;
        for (var t = 0; t < TaskCount; t++)
        {
            rates[t] = values[t] / initial[t];
            meanRate += rates[t] / TaskCount;
            meanNorm += w[t] * norms[t] / TaskCount;
        }
        var gradient = new double[TaskCount];
        for (var t = 0; t < TaskCount; t++)
        {
            var relative = meanRate > 0 ? rates[t] / meanRate : 1.0;
            var target = meanNorm * Math.Pow(relative, Alpha);
            gradient[t] = Math.Sign((w[t] * norms[t]) - target) * norms[t];
        }
        AddToGradient(gradient);
        _initial = initial;
        return ScaledLosses.Of(losses, w);
    }

    /// <summary>Rescales the weights to sum T (the paper's renormalisation after each update).</summary>
    /// <exception cref="InvalidOperationException">The weights' sum is not positive (a learning rate far too large for them).</exception>
    public void AfterStep()
    {
        var w = _weights.Values();
        var sum = w.Sum();
        if (!(sum > 0) || double.IsInfinity(sum))
            throw new InvalidOperationException($"GradNorm's weights sum to {sum}; they cannot be renormalised to sum {TaskCount}. Lower the learning rate of the weights.");
        _weights.Assign(w.Select(x => x * TaskCount / sum).ToArray());
    }

    /// <summary>GradNorm has no epoch statistics.</summary>
    public void EndEpoch()
    {
    }

    /// <summary>Weights back to 1 (in place) and the initial losses forgotten.</summary>
    public void Reset()
    {
        _weights.Reset();
        _initial = null;
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double[]> StateDict() => new Dictionary<string, double[]>
    {
        ["weights"] = _weights.Values(),
        ["initial_losses"] = _initial is null ? [] : (double[])_initial.Clone(),
    };

    /// <inheritdoc />
    public void LoadStateDict(IReadOnlyDictionary<string, double[]> state)
    {
        var weights = StateArrays.Read(state, "weights", TaskCount, Method);
        var initial = StateArrays.ReadOptional(state, "initial_losses", TaskCount, Method);
        if (initial is not null && initial.Any(x => !(x > 0)))
            throw new ArgumentException("GradNorm's \"initial_losses\" must be > 0.", nameof(state));
        _weights.Assign(weights);
        _initial = initial;
    }

    /// <summary>‖∇_W Lₜ‖ for every task: T backward passes from the losses to W only, one host read.</summary>
    private double[] LayerGradientNorms(IReadOnlyList<Tensor> losses)
    {
        using var scope = NewDisposeScope();
        var squares = new Tensor[TaskCount];
        var inputs = _layer.Cast<Tensor>().ToList();
        for (var t = 0; t < TaskCount; t++)
        {
            // allow_unused and retain_graph always: a native error inside autograd.grad aborts the process.
            var grads = torch.autograd.grad(new List<Tensor> { losses[t] }, inputs, retain_graph: true, allow_unused: true);
            // Each gradient's norm in float32 or float64: one reduction, no temporary of the layer's size
            // but a float32 copy of a float16/bfloat16 gradient, whose norm can exceed float16's 65504
            // though every entry is representable.
            var total = torch.zeros(1, dtype: ScalarType.Float64, device: _layer[0].device);
            foreach (var g in grads)
            {
                if (!g.IsInvalid)
                {
                    var accumulated = g.dtype is ScalarType.Float16 or ScalarType.BFloat16 ? g.to_type(ScalarType.Float32) : g;
                    total = total + accumulated.norm().to_type(ScalarType.Float64).square();
                }
            }
            squares[t] = total.reshape(1);
        }
        return [.. torch.cat(squares).sqrt().cpu().data<double>()];
    }

    private void AddToGradient(double[] gradient)
    {
        using var scope = NewDisposeScope();
        var update = torch.tensor(gradient, dtype: ScalarType.Float64).to(Weights.dtype, Weights.device);
        if (Weights.grad is { } existing)
            existing.add_(update);
        else
            Weights.grad = update.DetachFromDisposeScope();
    }
}
