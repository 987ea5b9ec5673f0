using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>
/// A drop-in <see cref="torch.optim.Optimizer"/> that applies gradient surgery before any TorchSharp
/// optimizer (Adam, SGD, …): <c>opt.zero_grad(); opt.Backward(losses); opt.step();</c>.
/// </summary>
/// <remarks>
/// <para><b>Parameter mode</b> (<see cref="Backward(IReadOnlyList{Tensor})"/>): each task loss is
/// back-propagated once, straight into row t of a kept [T, P] buffer (the shared parameters' <c>.grad</c>
/// point at views of that row during the task's backward, so there is no flatten or copy pass). The
/// aggregator combines the rows, and the combined update is written into the shared parameters'
/// <c>.grad</c>. Task-specific parameters (reached by one loss) receive exactly their own task's
/// gradient; parameters no loss reaches keep no gradient; frozen parameters are ignored.</para>
/// <para>Shared parameters are given explicitly, or inferred on the first <c>Backward</c> as the
/// trainable parameters that two or more losses reach (the first call therefore back-propagates with
/// fresh gradient tensors; later calls use the kept buffer).</para>
/// <para><b>Gradient accumulation</b>: several <c>Backward</c> calls before one <c>step</c> accumulate the
/// per-task gradients in the buffer, and the combined update is recomputed from the accumulated
/// gradients each time (surgery is not linear: aggregating micro-batches separately would be wrong).
/// The update that <c>step</c> applies is therefore the aggregation of the accumulated per-task
/// gradients, and clipping between <c>Backward</c> and <c>step</c> sees it.</para>
/// <para><b>Representation mode</b> (<see cref="Backward(IReadOnlyList{Tensor}, Tensor)"/>, the "-UB"
/// variant of Aligned-MTL §5.2 and MGDA-UB): the weights come from the gradients with respect to the
/// shared representation Z (only the heads are back-propagated, batch flattened), then Σ wₜ·Lₜ is
/// back-propagated once through the trunk. It is an approximation of parameter mode: the weights are
/// computed on ∂L/∂Z, not on ∂L/∂θ. Task heads then receive wₜ·∇Lₜ.</para>
/// <para>LR schedulers, <c>state_dict</c> and <c>add_param_group</c> act on the wrapped optimizer.</para>
/// </remarks>
public sealed class GradientSurgeryOptimizer : OptimizerHelper
{
    private readonly Parameter[]? _explicitShared;
    private Parameter[] _shared = Array.Empty<Parameter>();
    private Parameter[] _taskSpecific = Array.Empty<Parameter>();
    private bool _structureKnown;
    private Tensor? _buffer;
    private Tensor? _update;
    private Tensor[][] _rowViews = Array.Empty<Tensor[]>();
    private Tensor[] _updateViews = Array.Empty<Tensor>();
    private bool _skipNextStep;

    /// <summary>Wraps <paramref name="inner"/> with <paramref name="aggregator"/>.</summary>
    /// <param name="inner">The optimizer that applies the combined update (it owns all the model's parameters).</param>
    /// <param name="aggregator">The method; any <see cref="GramianWeightedAggregator"/>.</param>
    /// <param name="sharedParameters">The shared parameters; null (default) infers them on the first <c>Backward</c>.</param>
    /// <param name="nonFinite">Throw (default) or skip the step on a NaN or infinite loss or gradient.</param>
    /// <exception cref="ArgumentNullException"><paramref name="inner"/> or <paramref name="aggregator"/> is null.</exception>
    /// <exception cref="ArgumentException">The shared parameters are empty, frozen or on different devices or dtypes.</exception>
    public GradientSurgeryOptimizer(torch.optim.Optimizer inner, GramianWeightedAggregator aggregator, IEnumerable<Parameter>? sharedParameters = null, NonFiniteGradientPolicy nonFinite = NonFiniteGradientPolicy.Throw)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(aggregator);
        if (!Enum.IsDefined(nonFinite))
            throw new ArgumentOutOfRangeException(nameof(nonFinite), nonFinite, "Allowed: Throw, SkipStep.");
        Inner = inner;
        Aggregator = aggregator;
        NonFinite = nonFinite;
        if (sharedParameters is not null)
        {
            _explicitShared = sharedParameters.Distinct().ToArray();
            if (_explicitShared.Length == 0)
                throw new ArgumentException("The shared parameter list is empty.", nameof(sharedParameters));
            if (_explicitShared.Any(p => !p.requires_grad))
                throw new ArgumentException("A shared parameter is frozen (requires_grad = false).", nameof(sharedParameters));
            CheckSameDeviceAndType(_explicitShared, nameof(sharedParameters));
        }
    }

    /// <summary>The wrapped optimizer.</summary>
    public torch.optim.Optimizer Inner { get; }

    /// <summary>The gradient-surgery method.</summary>
    public GramianWeightedAggregator Aggregator { get; }

    /// <summary>The non-finite gradient policy.</summary>
    public NonFiniteGradientPolicy NonFinite { get; }

    /// <summary>Diagnostics of the last aggregation: weights, per-task norms, cosines, conflicting pairs, κ.</summary>
    public GradientDiagnostics? LastDiagnostics => Aggregator.LastDiagnostics;

    /// <summary>The shared parameters (empty until known: given, or inferred on the first <c>Backward</c>).</summary>
    public IReadOnlyList<Parameter> SharedParameters => _shared;

    /// <summary>True when the last <c>step</c> was skipped because of a non-finite loss or gradient.</summary>
    public bool LastStepSkipped { get; private set; }

    /// <summary>Optional sink for per-step diagnostics (for example a <see cref="DiagnosticsCsvLog"/>).</summary>
    public Action<GradientDiagnostics>? DiagnosticsSink { get; set; }

    /// <summary>
    /// Parameter mode: back-propagates each task loss into the per-task gradient buffer, aggregates the
    /// shared parameters' gradients and writes the result into their <c>.grad</c>.
    /// </summary>
    /// <param name="losses">The T ≥ 1 scalar task losses of one forward pass (their graphs share the trunk).</param>
    /// <exception cref="ArgumentException">The list is empty, a loss is not a scalar, has no graph, reaches no
    /// parameter, or is (or has a gradient that is) NaN or infinite under <see cref="NonFiniteGradientPolicy.Throw"/>.
    /// Parameters, the shared parameters' <c>.grad</c> and the optimizer state are then untouched.</exception>
    public void Backward(IReadOnlyList<Tensor> losses)
    {
        if (CollectTaskGradients(losses))
            AggregateBuffer();
    }

    /// <summary>
    /// The collecting half of <see cref="Backward(IReadOnlyList{Tensor})"/>: validates the losses and
    /// back-propagates each into its row of the per-task buffer. Returns false when the step is to be
    /// skipped (non-finite loss under <see cref="NonFiniteGradientPolicy.SkipStep"/>). Separate so that
    /// the benchmarks can time collection alone.
    /// </summary>
    internal bool CollectTaskGradients(IReadOnlyList<Tensor> losses)
    {
        if (!ValidateLosses(losses))
            return false;
        if (!_structureKnown)
        {
            DiscoverStructure(losses);
            return true;
        }
        EnsureBuffer(losses.Count);
        for (var t = 0; t < losses.Count; t++)
        {
            for (var k = 0; k < _shared.Length; k++)
                _shared[k].grad = _rowViews[t][k];
            losses[t].backward(retain_graph: t < losses.Count - 1);
        }
        return true;
    }

    /// <summary>
    /// Representation mode: weights from the task gradients with respect to <paramref name="representation"/>,
    /// then one backward of Σ wₜ·Lₜ (see the remarks; an approximation of parameter mode).
    /// </summary>
    /// <param name="losses">The T ≥ 1 scalar task losses.</param>
    /// <param name="representation">The shared representation Z the trunk produced (requires grad).</param>
    /// <exception cref="ArgumentException">As <see cref="Backward(IReadOnlyList{Tensor})"/>, or Z does not require grad.</exception>
    public void Backward(IReadOnlyList<Tensor> losses, Tensor representation)
    {
        ArgumentNullException.ThrowIfNull(representation);
        if (!representation.requires_grad)
            throw new ArgumentException("The representation does not require grad: pass the trunk's output, not a detached copy.", nameof(representation));
        if (!ValidateLosses(losses))
            return;
        double[] weights;
        using (var scope = NewDisposeScope())
        {
            var rows = new List<Tensor>();
            var inputs = new List<Tensor> { representation };
            for (var t = 0; t < losses.Count; t++)
            {
                // allow_unused and retain_graph always: a native error inside autograd.grad aborts the
                // process instead of throwing, so every input is made safe before the call.
                var g = torch.autograd.grad(new List<Tensor> { losses[t] }, inputs, retain_graph: true, allow_unused: true)[0];
                rows.Add(g.IsInvalid ? torch.zeros_like(representation).flatten() : g.flatten());
            }
            var z = torch.stack(rows);
            var accumulated = z.dtype == GradientMatrix.AccumulationType(z.dtype) ? z : z.to_type(GradientMatrix.AccumulationType(z.dtype));
            Gramian gramian;
            try
            {
                gramian = GradientMatrix.ComputeGramian(accumulated);
            }
            catch (ArgumentException) when (NonFinite == NonFiniteGradientPolicy.SkipStep)
            {
                _skipNextStep = true;
                return;
            }
            weights = Aggregator.WeightAndRecord(gramian);
            var total = losses[0] * weights[0];
            for (var t = 1; t < losses.Count; t++)
                total = total + (losses[t] * weights[t]);
            total.backward();
        }
        Publish();
    }

    /// <summary>Applies the combined update with the wrapped optimizer (or skips it, see <see cref="NonFiniteGradientPolicy.SkipStep"/>).</summary>
    public override Tensor step(Func<Tensor>? closure = null)
    {
        LastStepSkipped = _skipNextStep;
        if (_skipNextStep)
        {
            _skipNextStep = false;
            zero_grad();
            return null!;
        }
        return Inner.step(closure);
    }

    /// <summary>Clears every gradient: the wrapped optimizer's parameters and the per-task buffer.</summary>
    public override void zero_grad()
    {
        // Shared parameters' grads are views of the update buffer: detach them first so that the inner
        // optimizer does not zero the update as well (one pass over P saved per step).
        foreach (var p in _shared)
            p.grad = null;
        Inner.zero_grad();
        _buffer?.zero_();
        _update?.zero_();
        if (_update is not null)
            RestoreSharedGrads();
    }

    /// <inheritdoc />
    public override IEnumerable<Parameter> parameters() => Inner.parameters();

    /// <inheritdoc />
    public override IEnumerable<torch.optim.ILearningRateController> ParamGroups => Inner.ParamGroups;

    /// <inheritdoc />
    public override void add_param_group(ParamGroup param_group)
    {
        Inner.add_param_group(param_group);
        _structureKnown = false;
    }

    /// <summary>The wrapped optimizer's state dictionary.</summary>
    /// <exception cref="NotSupportedException">The wrapped optimizer is not a TorchSharp <see cref="OptimizerHelper"/>.</exception>
    public override StateDictionary state_dict() => InnerHelper.state_dict();

    /// <summary>Loads the wrapped optimizer's state dictionary.</summary>
    /// <exception cref="NotSupportedException">The wrapped optimizer is not a TorchSharp <see cref="OptimizerHelper"/>.</exception>
    public override void load_state_dict(StateDictionary state_dict) => InnerHelper.load_state_dict(state_dict);

    private OptimizerHelper InnerHelper => Inner as OptimizerHelper
        ?? throw new NotSupportedException($"{Inner.GetType().Name} has no state dictionary.");

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ReleaseBuffers();
            Inner.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <summary>Returns false when the step is to be skipped (non-finite loss under SkipStep).</summary>
    private bool ValidateLosses(IReadOnlyList<Tensor> losses)
    {
        ArgumentNullException.ThrowIfNull(losses);
        if (losses.Count == 0)
            throw new ArgumentException("The loss list is empty: pass one scalar loss per task (T ≥ 1).", nameof(losses));
        if (_buffer is not null && _buffer.shape[0] != losses.Count && HasAccumulated(_buffer))
            throw new ArgumentException($"Gradients of {_buffer.shape[0]} tasks are being accumulated; got {losses.Count} losses. Call zero_grad() first.", nameof(losses));
        for (var t = 0; t < losses.Count; t++)
        {
            var loss = losses[t] ?? throw new ArgumentException($"Loss {t} is null.", nameof(losses));
            if (loss.numel() != 1)
                throw new ArgumentException($"Loss {t} is not a scalar: shape [{string.Join(", ", loss.shape)}]. Reduce it (mean or sum) first.", nameof(losses));
            if (!loss.requires_grad)
                throw new ArgumentException($"Loss {t} has no graph (requires_grad = false): it was computed under no_grad, detached, or from frozen parameters only.", nameof(losses));
        }
        using var scope = NewDisposeScope();
        for (var t = 0; t < losses.Count; t++)
        {
            var value = losses[t].to_type(ScalarType.Float64).item<double>();
            if (double.IsFinite(value))
                continue;
            if (NonFinite == NonFiniteGradientPolicy.Throw)
                throw new ArgumentException($"Loss {t} is {value}: nothing was back-propagated.", nameof(losses));
            _skipNextStep = true;
            return false;
        }
        return true;
    }

    /// <summary>First call: back-propagates each loss with fresh gradients to learn which parameters each loss reaches.</summary>
    private void DiscoverStructure(IReadOnlyList<Tensor> losses)
    {
        var trainable = Inner.parameters().Where(p => p.requires_grad).Distinct().ToArray();
        var reached = new Dictionary<Parameter, List<int>>();
        var perTask = new List<Dictionary<Parameter, Tensor>>();
        var saved = trainable.ToDictionary(p => p, p => p.grad);
        try
        {
            for (var t = 0; t < losses.Count; t++)
            {
                foreach (var p in trainable)
                    p.grad = null;
                losses[t].backward(retain_graph: t < losses.Count - 1);
                var grads = new Dictionary<Parameter, Tensor>();
                foreach (var p in trainable)
                {
                    var g = p.grad;
                    if (g is null)
                        continue;
                    grads[p] = g.DetachFromDisposeScope();
                    if (!reached.TryGetValue(p, out var tasks))
                        reached[p] = tasks = new List<int>();
                    tasks.Add(t);
                }
                if (grads.Count == 0)
                    throw new ArgumentException($"Loss {t} reaches no trainable parameter of the wrapped optimizer.", nameof(losses));
                perTask.Add(grads);
            }
            _shared = _explicitShared ?? trainable.Where(p => reached.TryGetValue(p, out var tasks) && tasks.Count >= 2).ToArray();
            if (_shared.Length == 0)
                throw new ArgumentException("No parameter is shared: no trainable parameter is reached by two or more losses. Pass the shared parameters explicitly.", nameof(losses));
            CheckSameDeviceAndType(_shared, "sharedParameters");
        }
        catch
        {
            foreach (var pair in saved)
                pair.Key.grad = pair.Value;
            foreach (var grads in perTask)
            {
                foreach (var g in grads.Values)
                    g.Dispose();
            }
            throw;
        }
        var shared = new HashSet<Parameter>(_shared);
        _taskSpecific = trainable.Where(p => !shared.Contains(p) && reached.ContainsKey(p)).ToArray();
        EnsureBuffer(losses.Count);
        using var scope = NewDisposeScope();
        foreach (var p in _taskSpecific)
        {
            Tensor? total = null;
            for (var t = 0; t < perTask.Count; t++)
            {
                if (perTask[t].TryGetValue(p, out var g))
                    total = total is null ? g.clone() : total.add_(g);
            }
            p.grad = total;
        }
        for (var t = 0; t < perTask.Count; t++)
        {
            for (var k = 0; k < _shared.Length; k++)
            {
                if (perTask[t].TryGetValue(_shared[k], out var g))
                    _rowViews[t][k].add_(g);
            }
            foreach (var g in perTask[t].Values)
                g.Dispose();
        }
        _structureKnown = true;
    }

    private void EnsureBuffer(int taskCount)
    {
        var size = _shared.Sum(p => p.numel());
        var first = _shared[0];
        if (_buffer is not null && _buffer.shape[0] == taskCount && _buffer.shape[1] == size
            && _buffer.dtype == first.dtype && _buffer.device.ToString() == first.device.ToString())
            return;
        ReleaseBuffers();
        _buffer = torch.zeros(new long[] { taskCount, size }, dtype: first.dtype, device: first.device).DetachFromDisposeScope();
        _update = torch.zeros(size, dtype: first.dtype, device: first.device).DetachFromDisposeScope();
        _rowViews = new Tensor[taskCount][];
        for (var t = 0; t < taskCount; t++)
        {
            using var row = _buffer[t];
            _rowViews[t] = Views(row);
        }
        _updateViews = Views(_update);
    }

    private Tensor[] Views(Tensor flat)
    {
        var views = new Tensor[_shared.Length];
        long offset = 0;
        for (var k = 0; k < _shared.Length; k++)
        {
            var n = _shared[k].numel();
            views[k] = flat.narrow(0, offset, n).view(_shared[k].shape).DetachFromDisposeScope();
            offset += n;
        }
        return views;
    }

    /// <summary>Aggregates the accumulated buffer into the update; on non-finite gradients applies the policy.</summary>
    private void AggregateBuffer()
    {
        try
        {
            Aggregator.Aggregate(_buffer!, _update!);
        }
        catch (ArgumentException e)
        {
            RestoreSharedGrads();
            if (NonFinite == NonFiniteGradientPolicy.Throw)
                throw new ArgumentException($"Non-finite per-task gradients; nothing was applied. {e.Message}", "losses", e);
            _skipNextStep = true;
            return;
        }
        RestoreSharedGrads();
        Publish();
    }

    private void RestoreSharedGrads()
    {
        for (var k = 0; k < _shared.Length; k++)
            _shared[k].grad = _updateViews[k];
    }

    private void Publish()
    {
        if (LastDiagnostics is { } diagnostics)
            DiagnosticsSink?.Invoke(diagnostics);
    }

    private void ReleaseBuffers()
    {
        foreach (var views in _rowViews)
        {
            foreach (var v in views)
                v.Dispose();
        }
        foreach (var v in _updateViews)
            v.Dispose();
        _buffer?.Dispose();
        _update?.Dispose();
        _buffer = null;
        _update = null;
        _rowViews = Array.Empty<Tensor[]>();
        _updateViews = Array.Empty<Tensor>();
    }

    private static bool HasAccumulated(Tensor buffer)
    {
        using var scope = NewDisposeScope();
        return buffer.abs().max().item<double>() != 0;
    }

    private static void CheckSameDeviceAndType(IReadOnlyList<Parameter> parameters, string name)
    {
        var first = parameters[0];
        foreach (var p in parameters)
        {
            if (p.device.ToString() != first.device.ToString())
                throw new ArgumentException($"Shared parameters are on different devices ({first.device} and {p.device}): the per-task gradient buffer needs one device.", name);
            if (p.dtype != first.dtype)
                throw new ArgumentException($"Shared parameters have different dtypes ({first.dtype} and {p.dtype}).", name);
            if (!GradientMatrix.IsSupported(p.dtype))
                throw new ArgumentException($"Shared parameters must be float16, bfloat16, float32 or float64; got {p.dtype}.", name);
        }
    }
}
