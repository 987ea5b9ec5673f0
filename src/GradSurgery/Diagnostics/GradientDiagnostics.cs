using System;
using System.Collections.Generic;

namespace GradSurgery;

/// <summary>
/// What the Gram matrix M = G·Gᵀ says about one step's task gradients, and the weights applied.
/// Computed on the host from the T×T matrix already there: no extra pass over the gradients.
/// </summary>
public sealed class GradientDiagnostics
{
    private readonly double[] _norms;
    private readonly double[,] _cosines;
    private readonly double[] _weights;

    /// <summary>Computes the diagnostics of <paramref name="gramian"/> and the task <paramref name="weights"/> applied to it.</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The weights do not have one entry per task.</exception>
    public GradientDiagnostics(Gramian gramian, IReadOnlyList<double> weights)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        ArgumentNullException.ThrowIfNull(weights);
        var n = gramian.TaskCount;
        if (weights.Count != n)
            throw new ArgumentException($"Expected {n} weights, one per task; got {weights.Count}.", nameof(weights));
        _weights = new double[n];
        _norms = new double[n];
        _cosines = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            _weights[i] = weights[i];
            _norms[i] = Math.Sqrt(Math.Max(gramian[i, i], 0));
        }
        var conflicts = 0;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var denominator = _norms[i] * _norms[j];
                _cosines[i, j] = denominator > 0 ? Math.Clamp(gramian[i, j] / denominator, -1, 1) : 0;
                if (j > i && gramian[i, j] < 0)
                    conflicts++;
            }
        }
        ConflictingPairs = conflicts;
        var smallest = gramian.Eigenvalues[0];
        var largest = gramian.LargestEigenvalue;
        ConditionNumber = largest > 0 && smallest > gramian.RankTolerance
            ? Math.Sqrt(largest / smallest)
            : double.PositiveInfinity;
        UpdateNorm = Math.Sqrt(Math.Max(gramian.QuadraticForm(_weights), 0));
    }

    /// <summary>Number of tasks T.</summary>
    public int TaskCount => _norms.Length;

    /// <summary>The weights w applied: the update is Σₜ wₜ·gₜ.</summary>
    public IReadOnlyList<double> Weights => _weights;

    /// <summary>Euclidean norm ‖gₜ‖ of each task gradient (√Mₜₜ).</summary>
    public IReadOnlyList<double> GradientNorms => _norms;

    /// <summary>Euclidean norm of the update Σₜ wₜ·gₜ (√(wᵀMw)).</summary>
    public double UpdateNorm { get; }

    /// <summary>Number of task pairs i &lt; j whose gradients conflict (gᵢ·gⱼ &lt; 0).</summary>
    public int ConflictingPairs { get; }

    /// <summary>
    /// Condition number κ = √(λmax/λmin) of the gradient system, with λ the eigenvalues of M
    /// (Aligned-MTL §3, its stability criterion). +∞ when the gradients are linearly dependent
    /// (λmin at or below <see cref="Gramian.RankTolerance"/>) or all zero.
    /// </summary>
    public double ConditionNumber { get; }

    /// <summary>Cosine similarity of the gradients of tasks <paramref name="i"/> and <paramref name="j"/>; 0 when either is zero.</summary>
    public double Cosine(int i, int j) => _cosines[i, j];

    /// <summary>A copy of the T×T cosine-similarity matrix.</summary>
    public double[,] CosineMatrix() => (double[,])_cosines.Clone();
}
