using System;
using System.Collections.Generic;
using System.Linq;

namespace GradSurgery;

/// <summary>
/// Constant task weights chosen by the user: d = Σₜ wₜ·gₜ with the same w at every step (linear
/// scalarisation; <see cref="Sum"/> and <see cref="Mean"/> are its two common cases).
/// </summary>
/// <remarks>Linear in the gradients' scale; invariant to the task order only when all weights are equal.</remarks>
public sealed class Constant : IGramianWeighting
{
    private readonly double[] _weights;

    /// <summary>Creates constant weights.</summary>
    /// <param name="weights">One finite weight per task (copied); at least one.</param>
    /// <exception cref="ArgumentNullException"><paramref name="weights"/> is null.</exception>
    /// <exception cref="ArgumentException">The list is empty or holds a NaN or infinite weight.</exception>
    public Constant(IEnumerable<double> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        _weights = weights.ToArray();
        if (_weights.Length == 0)
            throw new ArgumentException("Constant needs at least one task weight.", nameof(weights));
        for (var i = 0; i < _weights.Length; i++)
        {
            if (!double.IsFinite(_weights[i]))
                throw new ArgumentException($"Constant weight {i} is {_weights[i]}; weights must be finite.", nameof(weights));
        }
        Weights = Array.AsReadOnly(_weights);
    }

    /// <inheritdoc />
    public string Name => "Constant";

    /// <summary>The task weights.</summary>
    public IReadOnlyList<double> Weights { get; }

    /// <summary>A copy of <see cref="Weights"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="gramian"/> is null.</exception>
    /// <exception cref="ArgumentException">The Gram matrix has a different number of tasks.</exception>
    public double[] ComputeWeights(Gramian gramian)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        if (gramian.TaskCount != _weights.Length)
            throw new ArgumentException($"Constant was given {_weights.Length} task weights for {gramian.TaskCount} tasks.", nameof(gramian));
        return (double[])_weights.Clone();
    }
}
