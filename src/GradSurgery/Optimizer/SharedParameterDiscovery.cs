using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>
/// The first backward of a <see cref="GradientSurgeryOptimizer"/>: each loss is back-propagated with
/// fresh gradients to learn which trainable parameters it reaches. Parameters reached by two or more
/// losses are shared (unless given explicitly), those reached by one are task-specific. The per-task
/// gradients are kept to seed the per-task buffer, so the first step costs no extra backward.
/// </summary>
/// <remarks>On any error every parameter's <c>.grad</c> is restored and nothing is kept.</remarks>
internal sealed class SharedParameterDiscovery : IDisposable
{
    private readonly List<Dictionary<Parameter, Tensor>> _perTask;

    private SharedParameterDiscovery(Parameter[] shared, Parameter[] taskSpecific, int[] taskOf, List<Dictionary<Parameter, Tensor>> perTask)
    {
        Shared = shared;
        TaskSpecific = taskSpecific;
        TaskOf = taskOf;
        _perTask = perTask;
    }

    /// <summary>The parameters whose gradients are combined.</summary>
    public Parameter[] Shared { get; }

    /// <summary>The parameters that one loss reaches and that are not shared: they get that loss's gradient.</summary>
    public Parameter[] TaskSpecific { get; }

    /// <summary>For each of <see cref="TaskSpecific"/>, the first task whose loss reaches it.</summary>
    public int[] TaskOf { get; }

    /// <summary>Back-propagates each of <paramref name="losses"/> and sorts the trainable parameters into shared and task-specific.</summary>
    /// <param name="trainable">The wrapped optimizer's parameters that require grad.</param>
    /// <param name="losses">The validated task losses; each is back-propagated once (the graph is released after the last).</param>
    /// <param name="explicitShared">The shared parameters the user gave, or null to infer them.</param>
    /// <param name="neverShared">Parameters never inferred as shared however many losses reach them (a loss
    /// weighting's own: one tensor holds every task's scale, and each entry must get its own task's gradient).</param>
    /// <exception cref="ArgumentException">A loss reaches no parameter, no parameter is shared, or the shared ones mix devices or dtypes.</exception>
    public static SharedParameterDiscovery Run(Parameter[] trainable, IReadOnlyList<Tensor> losses, Parameter[]? explicitShared, IReadOnlyCollection<Parameter> neverShared)
    {
        var reached = new Dictionary<Parameter, int>();
        var firstTask = new Dictionary<Parameter, int>();
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
                perTask.Add(grads);
                foreach (var p in trainable)
                {
                    if (p.grad is not { } g)
                        continue;
                    grads[p] = g.DetachFromDisposeScope();
                    reached[p] = reached.GetValueOrDefault(p) + 1;
                    firstTask.TryAdd(p, t);
                }
                if (grads.Count == 0)
                    throw new ArgumentException($"Loss {t} reaches no trainable parameter of the wrapped optimizer.", nameof(losses));
            }
            var shared = explicitShared ?? trainable.Where(p => reached.GetValueOrDefault(p) >= 2 && !neverShared.Contains(p)).ToArray();
            if (shared.Length == 0)
                throw new ArgumentException("No parameter is shared: no trainable parameter is reached by two or more losses. Pass the shared parameters explicitly.", nameof(losses));
            SharedParameterChecks.SameDeviceAndType(shared, explicitShared is null ? null : SharedParameterChecks.OptionName);
            var sharedSet = new HashSet<Parameter>(shared);
            var taskSpecific = trainable.Where(p => !sharedSet.Contains(p) && reached.ContainsKey(p)).ToArray();
            foreach (var p in trainable)
                p.grad = null;
            return new SharedParameterDiscovery(shared, taskSpecific, [.. taskSpecific.Select(p => firstTask[p])], perTask);
        }
        catch
        {
            foreach (var pair in saved)
                pair.Key.grad = pair.Value;
            Dispose(perTask);
            throw;
        }
    }

    /// <summary>
    /// Writes the first backward's gradients where later backwards put theirs: shared parameters' into
    /// the rows of <paramref name="buffer"/> (allocated for T tasks), task-specific ones into their <c>.grad</c>.
    /// </summary>
    public void Seed(TaskGradientBuffer buffer)
    {
        buffer.EnsureTasks(_perTask.Count);
        using var scope = NewDisposeScope();
        foreach (var p in TaskSpecific)
        {
            Tensor? total = null;
            foreach (var grads in _perTask)
            {
                if (grads.TryGetValue(p, out var g))
                    total = total is null ? g.clone() : total.add_(g);
            }
            p.grad = total;
        }
        for (var t = 0; t < _perTask.Count; t++)
        {
            for (var k = 0; k < Shared.Length; k++)
            {
                if (_perTask[t].TryGetValue(Shared[k], out var g))
                    buffer.AddToRow(t, k, g);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => Dispose(_perTask);

    private static void Dispose(List<Dictionary<Parameter, Tensor>> perTask)
    {
        foreach (var grads in perTask)
        {
            foreach (var g in grads.Values)
                g.Dispose();
        }
        perTask.Clear();
    }
}
