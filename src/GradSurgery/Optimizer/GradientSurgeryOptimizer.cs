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
/// back-propagated once, straight into row t of a kept [T, P] buffer; the aggregator combines the rows
/// and the update is written into the shared parameters' <c>.grad</c>. Task-specific parameters (reached
/// by one loss) receive exactly their own task's gradient; parameters no loss reaches keep no gradient;
/// frozen parameters are ignored.</para>
/// <para>Shared parameters are given explicitly, or inferred on the first <c>Backward</c> as the
/// trainable parameters that two or more losses reach.</para>
/// <para><b>Gradient accumulation</b>: several <c>Backward</c> calls before one <c>step</c> accumulate the
/// per-task gradients, and the update is recomputed from the accumulated gradients each time (surgery is
/// not linear: aggregating micro-batches separately would be wrong).</para>
/// <para><b>Representation mode</b> (<see cref="Backward(IReadOnlyList{Tensor}, Tensor)"/>): the weights
/// come from the gradients with respect to the shared representation Z (only the heads are
/// back-propagated), then Σ wₜ·Lₜ is back-propagated once through the trunk: an approximation of
/// parameter mode, for any Gram-space method. Task heads then receive wₜ·∇Lₜ.</para>
/// <para><b>Non-finite values</b>: a NaN or infinite loss or gradient raises a
/// <see cref="NonFiniteGradientException"/> before anything is applied, or under
/// <see cref="NonFiniteGradientPolicy.SkipStep"/> makes the next <c>step</c> a no-op. Every other error
/// propagates unchanged under both policies.</para>
/// <para>LR schedulers, <c>state_dict</c> and <c>add_param_group</c> act on the wrapped optimizer.</para>
/// </remarks>
public sealed class GradientSurgeryOptimizer : OptimizerHelper
{
    private readonly Parameter[]? _explicitShared;
    private Parameter[]? _shared;
    private Parameter[] _taskSpecific = [];
    private int[] _taskOf = [];
    private TaskGradientBuffer? _buffer;
    private readonly bool _checkLossWeightedGradients;
    private readonly DataParallel? _dataParallel;
    private bool _skipNextStep;
    private int? _localSampleCount;
    private bool _disposed;

    /// <summary>Wraps <paramref name="inner"/> with a Gram-space method and default options.</summary>
    /// <param name="inner">The optimizer that applies the combined update (it owns all the model's parameters).</param>
    /// <param name="weighting">The method, for example <c>new CAGrad()</c>.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public GradientSurgeryOptimizer(torch.optim.Optimizer inner, IGramianWeighting weighting)
        : this(inner, new GramianWeightedAggregator(weighting), new GradientSurgeryOptions())
    {
    }

    /// <summary>Wraps <paramref name="inner"/> with a Gram-space method.</summary>
    /// <param name="inner">The optimizer that applies the combined update (it owns all the model's parameters).</param>
    /// <param name="weighting">The method, for example <c>new CAGrad()</c>.</param>
    /// <param name="options">Shared parameters and the non-finite policy.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The shared parameters are empty, frozen, not the wrapped optimizer's, or on different devices or dtypes.</exception>
    public GradientSurgeryOptimizer(torch.optim.Optimizer inner, IGramianWeighting weighting, GradientSurgeryOptions options)
        : this(inner, new GramianWeightedAggregator(weighting), options)
    {
    }

    /// <summary>Wraps <paramref name="inner"/> with any aggregator and default options.</summary>
    /// <param name="inner">The optimizer that applies the combined update (it owns all the model's parameters).</param>
    /// <param name="aggregator">The method; representation mode needs a <see cref="GramianWeightedAggregator"/>.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public GradientSurgeryOptimizer(torch.optim.Optimizer inner, IGradientAggregator aggregator)
        : this(inner, aggregator, new GradientSurgeryOptions())
    {
    }

    /// <summary>Wraps <paramref name="inner"/> with any aggregator.</summary>
    /// <param name="inner">The optimizer that applies the combined update (it owns all the model's parameters).</param>
    /// <param name="aggregator">The method; representation mode needs a <see cref="GramianWeightedAggregator"/>.</param>
    /// <param name="options">Shared parameters and the non-finite policy.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The shared parameters are empty, frozen, not the wrapped optimizer's, or on different devices or dtypes.</exception>
    public GradientSurgeryOptimizer(torch.optim.Optimizer inner, IGradientAggregator aggregator, GradientSurgeryOptions options)
        : this(inner, new Methods(null, aggregator ?? throw new ArgumentNullException(nameof(aggregator))), options)
    {
    }

    /// <summary>
    /// Wraps <paramref name="inner"/> with a loss weighting alone and default options: each <c>Backward</c>
    /// back-propagates the weighted sum once (no per-task gradients, no per-task buffer).
    /// </summary>
    /// <param name="inner">The optimizer that applies the update; it must own the weighting's <see cref="ILossWeighting.Parameters"/>.</param>
    /// <param name="lossWeighting">The method, for example <c>new UncertaintyWeighting(2)</c>.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">A parameter of the loss weighting is not among the wrapped optimizer's.</exception>
    public GradientSurgeryOptimizer(torch.optim.Optimizer inner, ILossWeighting lossWeighting)
        : this(inner, lossWeighting, new GradientSurgeryOptions())
    {
    }

    /// <summary>Wraps <paramref name="inner"/> with a loss weighting alone (see <see cref="GradientSurgeryOptimizer(torch.optim.Optimizer, ILossWeighting)"/>).</summary>
    /// <param name="inner">The optimizer that applies the update; it must own the weighting's <see cref="ILossWeighting.Parameters"/>.</param>
    /// <param name="lossWeighting">The method, for example <c>new Famo(2)</c>.</param>
    /// <param name="options">The non-finite policy (shared parameters are not used without an aggregator).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">A parameter of the loss weighting is not among the wrapped optimizer's, or the shared parameters are invalid.</exception>
    public GradientSurgeryOptimizer(torch.optim.Optimizer inner, ILossWeighting lossWeighting, GradientSurgeryOptions options)
        : this(inner, new Methods(lossWeighting ?? throw new ArgumentNullException(nameof(lossWeighting)), null), options)
    {
    }

    /// <summary>
    /// Wraps <paramref name="inner"/> with a loss weighting followed by an aggregator, default options: the
    /// losses are transformed first, then the per-task gradients of the transformed losses are combined
    /// (DB-MTL: <c>new LogLosses()</c> with <c>new DbMtl()</c>).
    /// </summary>
    /// <param name="inner">The optimizer that applies the update; it must own the weighting's <see cref="ILossWeighting.Parameters"/>.</param>
    /// <param name="lossWeighting">The loss transform.</param>
    /// <param name="aggregator">The gradient method.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">A parameter of the loss weighting is not among the wrapped optimizer's.</exception>
    public GradientSurgeryOptimizer(torch.optim.Optimizer inner, ILossWeighting lossWeighting, IGradientAggregator aggregator)
        : this(inner, lossWeighting, aggregator, new GradientSurgeryOptions())
    {
    }

    /// <summary>Wraps <paramref name="inner"/> with a loss weighting followed by an aggregator (see the overload without options).</summary>
    /// <param name="inner">The optimizer that applies the update; it must own the weighting's <see cref="ILossWeighting.Parameters"/>.</param>
    /// <param name="lossWeighting">The loss transform.</param>
    /// <param name="aggregator">The gradient method.</param>
    /// <param name="options">Shared parameters and the non-finite policy.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">A parameter of the loss weighting is not among the wrapped optimizer's, or the shared parameters are invalid.</exception>
    public GradientSurgeryOptimizer(torch.optim.Optimizer inner, ILossWeighting lossWeighting, IGradientAggregator aggregator, GradientSurgeryOptions options)
        : this(inner, new Methods(lossWeighting ?? throw new ArgumentNullException(nameof(lossWeighting)), aggregator ?? throw new ArgumentNullException(nameof(aggregator))), options)
    {
    }

    private GradientSurgeryOptimizer(torch.optim.Optimizer inner, Methods methods, GradientSurgeryOptions options)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(options);
        Inner = inner;
        Aggregator = methods.Aggregator;
        LossWeighting = methods.LossWeighting;
        NonFinite = options.NonFinite;
        _checkLossWeightedGradients = options.CheckLossWeightedGradients;
        if (options.SharedParameters is { } shared)
            _explicitShared = SharedParameterChecks.Explicit(shared, inner);
        if (LossWeighting is { } lossWeighting)
            LossWeightingRun.RequireOwned(lossWeighting, inner, _explicitShared);
        if (options.Communicator is { } communicator)
        {
            if (Aggregator is not (null or GramianWeightedAggregator))
                throw new ArgumentException($"Data-parallel training needs a Gram-space method (a {nameof(GramianWeightedAggregator)}) or a loss weighting; {Aggregator.Name} combines the whole gradient matrix.", nameof(options));
            if (LossWeighting is GradNorm)
                throw new ArgumentException("GradNorm balances gradient norms of a layer that data-parallel ranks see only in part; it is not supported with a communicator.", nameof(options));
            _dataParallel = new DataParallel(communicator);
            _dataParallel.BroadcastParameters(inner.parameters());
        }
    }

    /// <summary>The wrapped optimizer.</summary>
    public torch.optim.Optimizer Inner { get; }

    /// <summary>The gradient method; null when the optimizer has a loss weighting alone.</summary>
    public IGradientAggregator? Aggregator { get; }

    /// <summary>The loss weighting applied to the losses before anything is back-propagated; null when none.</summary>
    public ILossWeighting? LossWeighting { get; }

    /// <summary>∂termₜ/∂Lₜ of the last <c>Backward</c>'s loss weighting (see <see cref="WeightedLosses.Weights"/>); null before the first or without a loss weighting.</summary>
    public IReadOnlyList<double>? LastLossWeights { get; private set; }

    /// <summary>The non-finite gradient policy.</summary>
    public NonFiniteGradientPolicy NonFinite { get; }

    /// <summary>The shared parameters (empty until known: given, or inferred on the first <c>Backward</c>).</summary>
    public IReadOnlyList<Parameter> SharedParameters => _shared ?? (IReadOnlyList<Parameter>)Array.Empty<Parameter>();

    /// <summary>
    /// Data-parallel training only: the number of samples of this rank's shard in the next <c>Backward</c>,
    /// when the shards differ in size (the last batch of an epoch); each rank's gradients then count with
    /// nᵣ/Σn, as in one process on the whole batch of mean losses. Null (default): equal shards, 1/R each.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public int? LocalSampleCount
    {
        get => _localSampleCount;
        set => _localSampleCount = value is null or > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "LocalSampleCount must be ≥ 1 (or null for equal shards).");
    }

    /// <summary>The process group of data-parallel training; null in one process.</summary>
    public ICommunicator? Communicator => _dataParallel?.Communicator;

    /// <summary>True when the last <c>step</c> was skipped because of a non-finite loss or gradient.</summary>
    public bool LastStepSkipped { get; private set; }

    /// <summary>
    /// Diagnostics of the last aggregation: weights, per-task norms, cosines, conflicting pairs, κ; null
    /// before the first, and always null with a loss weighting alone (no per-task gradients exist). Each
    /// figure is computed when first read.
    /// </summary>
    public GradientDiagnostics? LastDiagnostics { get; private set; }

    /// <summary>Raised after every aggregation (for example <c>opt.Aggregated += csvLog.Append</c>).</summary>
    public event Action<GradientDiagnostics>? Aggregated;

    /// <summary>
    /// Parameter mode: back-propagates each task loss into the per-task gradient buffer, aggregates the
    /// shared parameters' gradients and writes the result into their <c>.grad</c>. With a loss weighting the
    /// losses are weighted first; with a loss weighting alone, their weighted sum is back-propagated once.
    /// </summary>
    /// <param name="losses">The T ≥ 1 scalar task losses of one forward pass (their graphs share the trunk).</param>
    /// <exception cref="ArgumentException">The list is empty, a loss is not a scalar, has no graph or reaches
    /// no parameter, or the loss weighting rejects the losses. Parameters, their <c>.grad</c>, the optimizer
    /// state and the loss weighting's state are then untouched.</exception>
    /// <exception cref="NonFiniteGradientException">A loss or gradient is NaN or infinite (under
    /// <see cref="NonFiniteGradientPolicy.Throw"/>); nothing is applied and the loss weighting's state is restored.</exception>
    public void Backward(IReadOnlyList<Tensor> losses)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        SkipOnNonFinite(() =>
        {
            var (values, share) = CheckedLosses(losses);
            if (LossWeighting is not { } lossWeighting)
            {
                CollectTaskGradients(losses);
                AggregateBuffer(share);
                return;
            }
            using var scope = NewDisposeScope();
            LossWeightingRun.Guarded(lossWeighting, () =>
            {
                var weighted = lossWeighting.Weigh(losses, values);
                LossWeightingRun.RequireFiniteWeights(lossWeighting, weighted);
                if (Aggregator is null)
                {
                    (_dataParallel is null ? weighted.Total() : weighted.LinearisedTotal(values)).backward();
                    _dataParallel?.AverageGradients(Trainable(), share);
                    if (_checkLossWeightedGradients)
                        ThrowOnNonFiniteGradients("the weighted loss sum");
                }
                else
                {
                    CollectTaskGradients(_dataParallel is null ? weighted.Terms : weighted.LinearisedTerms(values));
                    AggregateBuffer(share);
                }
                LastLossWeights = weighted.Weights;
            });
        });
    }

    /// <summary>
    /// Representation mode: weights from the task gradients with respect to <paramref name="representation"/>,
    /// then one backward of Σ wₜ·Lₜ (see the remarks; an approximation of parameter mode).
    /// </summary>
    /// <param name="losses">The T ≥ 1 scalar task losses.</param>
    /// <param name="representation">The shared representation Z the trunk produced (requires grad).</param>
    /// <exception cref="ArgumentException">As <see cref="Backward(IReadOnlyList{Tensor})"/>, or no loss depends on Z, or Z does not require grad.</exception>
    /// <exception cref="NonFiniteGradientException">A loss or a gradient with respect to Z is NaN or infinite (under <see cref="NonFiniteGradientPolicy.Throw"/>).</exception>
    /// <exception cref="NotSupportedException">The aggregator is not a <see cref="GramianWeightedAggregator"/>.</exception>
    public void Backward(IReadOnlyList<Tensor> losses, Tensor representation)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(representation);
        var weighted = Aggregator as GramianWeightedAggregator
            ?? throw new NotSupportedException($"Representation mode needs weights of the Gram matrix; {Aggregator?.Name ?? "a loss weighting alone"} is not a {nameof(GramianWeightedAggregator)}.");
        SkipOnNonFinite(() =>
        {
            var (values, share) = CheckedLosses(losses);
            using var scope = NewDisposeScope();
            if (LossWeighting is { } lossWeighting)
            {
                LossWeightingRun.Guarded(lossWeighting, () =>
                {
                    var terms = lossWeighting.Weigh(losses, values);
                    LossWeightingRun.RequireFiniteWeights(lossWeighting, terms);
                    BackwardThroughRepresentation(weighted, _dataParallel is null ? terms.Terms : terms.LinearisedTerms(values), representation, share);
                    LastLossWeights = terms.Weights;
                });
            }
            else
            {
                BackwardThroughRepresentation(weighted, losses, representation, share);
            }
        });
    }

    /// <summary>Applies the combined update with the wrapped optimizer (or skips it, see <see cref="NonFiniteGradientPolicy.SkipStep"/>).</summary>
    public override Tensor step(Func<Tensor>? closure = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        LastStepSkipped = _skipNextStep;
        if (!_skipNextStep)
        {
            var result = Inner.step(closure);
            LossWeighting?.AfterStep();
            return result;
        }
        _skipNextStep = false;
        zero_grad();
        return null!;
    }

    /// <summary>Marks the end of a training epoch for the loss weighting (DWA's and STCH's epoch statistics); nothing else changes.</summary>
    public void EndEpoch()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        LossWeighting?.EndEpoch();
    }

    /// <summary>Clears every gradient: the wrapped optimizer's parameters and the per-task buffer.</summary>
    public override void zero_grad()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _buffer?.DetachGradients();
        Inner.zero_grad();
        _buffer?.Zero();
        _buffer?.RouteGradientsToUpdate();
    }

    /// <inheritdoc />
    public override IEnumerable<Parameter> parameters()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Inner.parameters();
    }

    /// <inheritdoc />
    public override IEnumerable<torch.optim.ILearningRateController> ParamGroups
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return Inner.ParamGroups;
        }
    }

    /// <summary>Adds a parameter group to the wrapped optimizer; the shared parameters are re-discovered on the next <c>Backward</c>.</summary>
    public override void add_param_group(ParamGroup param_group)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Inner.add_param_group(param_group);
        ForgetStructure();
    }

    /// <summary>The wrapped optimizer's state dictionary.</summary>
    /// <exception cref="NotSupportedException">The wrapped optimizer is not a TorchSharp <see cref="OptimizerHelper"/>.</exception>
    public override StateDictionary state_dict() => InnerHelper.state_dict();

    /// <summary>Loads the wrapped optimizer's state dictionary.</summary>
    /// <exception cref="NotSupportedException">The wrapped optimizer is not a TorchSharp <see cref="OptimizerHelper"/>.</exception>
    public override void load_state_dict(StateDictionary state_dict) => InnerHelper.load_state_dict(state_dict);

    /// <summary>Whether the per-task gradient buffer exists (never with a loss weighting alone).</summary>
    internal bool HasTaskGradientBuffer => _buffer is not null;

    /// <summary>
    /// The collecting half of <see cref="Backward(IReadOnlyList{Tensor})"/>: validates the losses and
    /// back-propagates each into its row of the per-task buffer (separate so that benchmarks can time it).
    /// </summary>
    internal void CollectTaskGradients(IReadOnlyList<Tensor> losses)
    {
        TaskLosses.Validate(losses);
        if (_buffer is { } kept && kept.TaskCount != losses.Count && kept.HasAccumulated)
            throw new ArgumentException($"Gradients of {kept.TaskCount} tasks are being accumulated; got {losses.Count} losses. Call zero_grad() first.", nameof(losses));
        if (_shared is null)
        {
            DiscoverStructure(losses);
            return;
        }
        _buffer!.EnsureTasks(losses.Count);
        for (var t = 0; t < losses.Count; t++)
        {
            _buffer.RouteGradientsToRow(t);
            losses[t].backward(retain_graph: t < losses.Count - 1);
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            ForgetStructure();
            _dataParallel?.Dispose();
            Inner.Dispose();
        }
        _disposed = true;
        base.Dispose(disposing);
    }

    private OptimizerHelper InnerHelper
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return Inner as OptimizerHelper ?? throw new NotSupportedException($"{Inner.GetType().Name} has no state dictionary.");
        }
    }

    private void DiscoverStructure(IReadOnlyList<Tensor> losses)
    {
        var trainable = Inner.parameters().Where(p => p.requires_grad).Distinct().ToArray();
        using var roles = SharedParameterDiscovery.Run(trainable, losses, _explicitShared, new HashSet<Parameter>(LossWeighting?.Parameters ?? []));
        _buffer = new TaskGradientBuffer(roles.Shared);
        roles.Seed(_buffer);
        _shared = roles.Shared;
        _taskSpecific = roles.TaskSpecific;
        _taskOf = roles.TaskOf;
    }

    /// <summary>Aggregates the accumulated rows into the update; the shared <c>.grad</c> point at the update afterwards, whatever happens.</summary>
    private void AggregateBuffer(double share = 1)
    {
        try
        {
            _dataParallel?.AverageGradients(_taskSpecific, share);
            var head = ParameterGradients.FirstNonFinite(_taskSpecific);
            if (head >= 0)
                throw new NonFiniteGradientException(_taskOf[head], $"The gradient of a parameter only task {_taskOf[head]} reaches (shape [{string.Join(", ", _taskSpecific[head].shape)}]) contains NaN or infinite values; nothing was applied.", "losses");
            Publish(_dataParallel is { } dataParallel
                ? dataParallel.Aggregate(((GramianWeightedAggregator)Aggregator!).Weighting, _buffer!.Rows!, _buffer.Update!, share)
                : Aggregator!.Aggregate(_buffer!.Rows!, _buffer.Update!));
        }
        finally
        {
            _buffer!.RouteGradientsToUpdate();
        }
    }

    /// <summary>Runs <paramref name="backward"/>; under SkipStep a <see cref="NonFiniteGradientException"/> marks the next step to be skipped instead of propagating.</summary>
    private void SkipOnNonFinite(Action backward)
    {
        try
        {
            backward();
        }
        catch (NonFiniteGradientException) when (NonFinite == NonFiniteGradientPolicy.SkipStep)
        {
            _skipNextStep = true;
        }
    }

    /// <summary>Representation mode's weights from ∂Lₜ/∂Z, then one backward of Σ wₜ·Lₜ (the losses may be a loss weighting's terms).</summary>
    private void BackwardThroughRepresentation(GramianWeightedAggregator weighted, IReadOnlyList<Tensor> losses, Tensor representation, double share)
    {
        var rows = RepresentationGradients.Of(losses, representation);
        GradientDiagnostics diagnostics;
        if (_dataParallel is { } dataParallel)
        {
            var gramian = dataParallel.RepresentationGramian(rows, share);
            diagnostics = GradientDiagnostics.Weighted(gramian, GramianWeightedAggregator.CheckedWeights(weighted.Weighting, gramian));
        }
        else
        {
            diagnostics = weighted.Weigh(rows);
        }
        var total = losses[0] * diagnostics.Weights[0];
        for (var t = 1; t < losses.Count; t++)
            total = total + (losses[t] * diagnostics.Weights[t]);
        total.backward();
        _dataParallel?.AverageGradients(Trainable(), share);
        ThrowOnNonFiniteGradients("Σ wₜ·Lₜ");
        Publish(diagnostics);
    }

    /// <summary>
    /// The losses' values and this rank's share of the batch. In one process: the values, checked, and 1.
    /// Data-parallel: the global values Σᵣ aᵣ·Lᵣ, checked on every rank alike (so that all ranks throw
    /// together), and aᵣ.
    /// </summary>
    private (double[] Values, double Share) CheckedLosses(IReadOnlyList<Tensor> losses)
    {
        if (_dataParallel is not { } dataParallel)
            return (TaskLosses.Validate(losses), 1);
        var local = TaskLosses.Validate(losses, checkFinite: false);
        var share = dataParallel.Share(_localSampleCount);
        var global = dataParallel.GlobalValues(local, share);
        TaskLosses.RequireFinite(global, "The global loss");
        return (global, share);
    }

    private Parameter[] Trainable() => [.. Inner.parameters().Where(p => p.requires_grad)];

    /// <summary>Throws a <see cref="NonFiniteGradientException"/> when a trainable parameter's gradient holds NaN or an infinity.</summary>
    private void ThrowOnNonFiniteGradients(string objective)
    {
        var trainable = Trainable();
        var bad = ParameterGradients.FirstNonFinite(trainable);
        if (bad >= 0)
            throw new NonFiniteGradientException(null, $"The gradient of {objective} for a parameter of shape [{string.Join(", ", trainable[bad].shape)}] contains NaN or infinite values; nothing was applied.", "losses");
    }

    private void Publish(GradientDiagnostics diagnostics)
    {
        LastDiagnostics = diagnostics;
        Aggregated?.Invoke(diagnostics);
    }

    /// <summary>The methods of one wrapper: a loss weighting, an aggregator, or both (never neither).</summary>
    private readonly record struct Methods(ILossWeighting? LossWeighting, IGradientAggregator? Aggregator);

    private void ForgetStructure()
    {
        _buffer?.Dispose();
        _buffer = null;
        _shared = null;
        _taskSpecific = [];
        _taskOf = [];
    }
}
