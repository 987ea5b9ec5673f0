using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>
/// Any Gram-space method applied separately to consecutive groups of parameters (column blocks of the
/// [T, P] gradients), each group with its own weighting instance: the per-layer or per-tensor
/// granularity of GradVac's paper (and of LibMTL's GradVac group types), available for every method.
/// </summary>
/// <remarks>
/// <para>Each group's Gram matrix is computed on its block and its weights combine that block only, so
/// the update is Σₜ wₜ⁽ᵏ⁾·gₜ⁽ᵏ⁾ per group k. The whole Gram matrix (the sum of the groups') goes into the
/// diagnostics, whose weights are NaN (they differ per group). The groups must tile the P columns in
/// the order the gradients are flattened: for <see cref="GradientSurgeryOptimizer"/>, the order of the
/// shared parameters (<see cref="PerParameter"/> builds one group per parameter tensor).</para>
/// <para>Stateful weightings keep one state per group, as the paper's per-layer targets.
/// <see cref="Reset"/> resets every group's weighting that is stateful.</para>
/// </remarks>
public sealed class GroupedAggregator : IGradientAggregator
{
    private readonly long[] _sizes;
    private readonly IGramianWeighting[] _weightings;

    /// <summary>Applies a fresh weighting from <paramref name="createWeighting"/> to each group.</summary>
    /// <param name="groupSizes">The number of columns of each group, in order (each ≥ 1; at least one group).</param>
    /// <param name="createWeighting">Called once per group at construction; must return a new instance each time.</param>
    /// <exception cref="ArgumentNullException">An argument is null, or the factory returned null.</exception>
    /// <exception cref="ArgumentException">No group, a group size below 1, or the factory returned one instance twice.</exception>
    public GroupedAggregator(IEnumerable<long> groupSizes, Func<IGramianWeighting> createWeighting)
    {
        ArgumentNullException.ThrowIfNull(groupSizes);
        ArgumentNullException.ThrowIfNull(createWeighting);
        _sizes = groupSizes.ToArray();
        if (_sizes.Length == 0)
            throw new ArgumentException("A grouped aggregator needs at least one group.", nameof(groupSizes));
        for (var k = 0; k < _sizes.Length; k++)
        {
            if (_sizes[k] < 1)
                throw new ArgumentException($"Group {k} has {_sizes[k]} columns; every group needs at least one.", nameof(groupSizes));
        }
        _weightings = new IGramianWeighting[_sizes.Length];
        for (var k = 0; k < _sizes.Length; k++)
        {
            var weighting = createWeighting() ?? throw new ArgumentNullException(nameof(createWeighting), "The weighting factory returned null.");
            if (_weightings.Take(k).Any(w => ReferenceEquals(w, weighting)))
                throw new ArgumentException("The weighting factory must return a new instance per group (it returned one instance twice).", nameof(createWeighting));
            _weightings[k] = weighting;
        }
        GroupSizes = Array.AsReadOnly(_sizes);
        TotalSize = _sizes.Sum();
    }

    /// <summary>One group per parameter tensor of <paramref name="parameters"/>, in their order.</summary>
    /// <param name="parameters">The shared parameters, in the order their gradients are flattened.</param>
    /// <param name="createWeighting">Called once per parameter; must return a new instance each time.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">No parameter, or an empty one.</exception>
    public static GroupedAggregator PerParameter(IEnumerable<Parameter> parameters, Func<IGramianWeighting> createWeighting)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new GroupedAggregator(parameters.Select(p => p.numel()), createWeighting);
    }

    /// <summary>The inner method's name and "per group", for example "GradVac per group".</summary>
    public string Name => $"{_weightings[0].Name} per group";

    /// <summary>The number of columns of each group.</summary>
    public IReadOnlyList<long> GroupSizes { get; }

    /// <summary>P, the number of columns the groups tile.</summary>
    public long TotalSize { get; }

    /// <summary>The weighting of group <paramref name="group"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such group.</exception>
    public IGramianWeighting WeightingOf(int group) =>
        group >= 0 && group < _weightings.Length ? _weightings[group] : throw new ArgumentOutOfRangeException(nameof(group), group, $"There are {_weightings.Length} groups.");

    /// <summary>Resets every group's weighting that is stateful.</summary>
    public void Reset()
    {
        foreach (var weighting in _weightings.OfType<IStatefulWeighting>())
            weighting.Reset();
    }

    /// <inheritdoc />
    public Tensor Aggregate(Tensor gradients) => GradientMatrix.AggregateToNew(gradients, Combine);

    /// <inheritdoc />
    public GradientDiagnostics Aggregate(Tensor gradients, Tensor destination) => GradientMatrix.AggregateInto(gradients, destination, Combine);

    private GradientDiagnostics Combine(Tensor gradients, Tensor destination)
    {
        if (gradients.shape[1] != TotalSize)
            throw new ArgumentException($"The groups tile {TotalSize} columns but the gradients have P = {gradients.shape[1]}.", nameof(gradients));
        using var scope = NewDisposeScope();
        var accumulated = GradientMatrix.Accumulated(gradients);
        var t = (int)accumulated.shape[0];
        // Every group's Gram and weights first: a non-finite gradient or a failing weighting then
        // leaves the destination untouched.
        var gramians = new Gramian[_sizes.Length];
        var weights = new double[_sizes.Length][];
        long start = 0;
        for (var k = 0; k < _sizes.Length; k++)
        {
            gramians[k] = GradientMatrix.ComputeGramian(accumulated.narrow(1, start, _sizes[k]));
            weights[k] = GramianWeightedAggregator.CheckedWeights(_weightings[k], gramians[k]);
            start += _sizes[k];
        }
        var total = new double[t, t];
        var precision = 0.0;
        start = 0;
        for (var k = 0; k < _sizes.Length; k++)
        {
            GradientMatrix.Combine(accumulated.narrow(1, start, _sizes[k]), weights[k], destination.narrow(0, start, _sizes[k]));
            start += _sizes[k];
            precision = Math.Max(precision, gramians[k].RelativePrecision);
            for (var i = 0; i < t; i++)
            {
                for (var j = 0; j < t; j++)
                    total[i, j] += gramians[k][i, j];
            }
        }
        return GradientDiagnostics.Unweighted(new Gramian(total, precision), GradientMatrix.UpdateNorm(destination));
    }
}
