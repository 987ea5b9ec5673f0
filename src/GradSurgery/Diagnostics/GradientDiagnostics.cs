using System;
using System.Collections.Generic;

namespace GradSurgery;

/// <summary>
/// What the Gram matrix M = G·Gᵀ says about one step's task gradients, and the weights applied.
/// Everything comes from the T×T matrix already on the host (no pass over the gradients), and each
/// figure is computed only when first read: an aggregation whose diagnostics nobody reads pays for
/// none of them (the condition number needs an eigendecomposition).
/// </summary>
/// <remarks>Immutable once created; safe to read from several threads.</remarks>
public sealed class GradientDiagnostics
{
    private readonly double[] _weights;
    private double[]? _norms;
    private double[,]? _cosines;
    private int? _conflictingPairs;
    private double? _conditionNumber;
    private double? _updateNorm;

    /// <summary>Diagnostics of <paramref name="gramian"/> with the task <paramref name="weights"/> applied to it (copied).</summary>
    internal GradientDiagnostics(Gramian gramian, double[] weights)
    {
        Gramian = gramian;
        _weights = (double[])weights.Clone();
        Weights = Array.AsReadOnly(_weights);
        IsWeighted = true;
    }

    /// <summary>Diagnostics of an update that is not a weighted sum of the gradients (GradDrop, TrimmedMean): NaN weights.</summary>
    private GradientDiagnostics(Gramian gramian, double updateNorm)
    {
        Gramian = gramian;
        _weights = new double[gramian.TaskCount];
        Array.Fill(_weights, double.NaN);
        Weights = Array.AsReadOnly(_weights);
        _updateNorm = updateNorm;
    }

    /// <summary>Diagnostics of the update Σₜ wₜ·gₜ, for an aggregator written outside this library.</summary>
    /// <param name="gramian">The Gram matrix of the step's task gradients.</param>
    /// <param name="weights">One finite weight per task (copied).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The weights do not match the task count or are not finite.</exception>
    public static GradientDiagnostics Weighted(Gramian gramian, IReadOnlyList<double> weights)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Count != gramian.TaskCount)
            throw new ArgumentException($"Got {weights.Count} weights for {gramian.TaskCount} tasks.", nameof(weights));
        for (var i = 0; i < weights.Count; i++)
        {
            if (!double.IsFinite(weights[i]))
                throw new ArgumentException($"Weight {i} is {weights[i]}; weights must be finite.", nameof(weights));
        }
        return new GradientDiagnostics(gramian, [.. weights]);
    }

    /// <summary>
    /// Diagnostics of an update that is not a weighted sum of the gradients (an elementwise or robust
    /// aggregator): <see cref="Weights"/> are NaN and <see cref="IsWeighted"/> is false.
    /// </summary>
    /// <param name="gramian">The Gram matrix of the step's task gradients.</param>
    /// <param name="updateNorm">The Euclidean norm of the update, finite and ≥ 0.</param>
    /// <exception cref="ArgumentNullException"><paramref name="gramian"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="updateNorm"/> is negative, NaN or infinite.</exception>
    public static GradientDiagnostics Unweighted(Gramian gramian, double updateNorm)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        if (!(updateNorm >= 0) || double.IsInfinity(updateNorm))
            throw new ArgumentOutOfRangeException(nameof(updateNorm), updateNorm, "The update norm must be finite and ≥ 0.");
        return new GradientDiagnostics(gramian, updateNorm);
    }

    /// <summary>Whether the update is Σₜ wₜ·gₜ with <see cref="Weights"/> (false for elementwise aggregators, whose weights are NaN).</summary>
    public bool IsWeighted { get; }

    /// <summary>The Gram matrix of the step's task gradients (for a representation-mode step, of ∂Lₜ/∂Z).</summary>
    public Gramian Gramian { get; }

    /// <summary>Number of tasks T.</summary>
    public int TaskCount => Gramian.TaskCount;

    /// <summary>The weights w applied: the update is Σₜ wₜ·gₜ (NaN when <see cref="IsWeighted"/> is false).</summary>
    public IReadOnlyList<double> Weights { get; }

    /// <summary>Euclidean norm ‖gₜ‖ of each task gradient (√Mₜₜ).</summary>
    public IReadOnlyList<double> GradientNorms => Array.AsReadOnly(Norms);

    /// <summary>Euclidean norm of the update Σₜ wₜ·gₜ (√(wᵀMw)).</summary>
    public double UpdateNorm => _updateNorm ??= Math.Sqrt(Math.Max(Gramian.QuadraticForm(_weights), 0));

    /// <summary>Number of task pairs i &lt; j whose gradients conflict (gᵢ·gⱼ &lt; 0).</summary>
    public int ConflictingPairs => _conflictingPairs ??= CountConflicts();

    /// <summary>
    /// Condition number κ = √(λmax/λmin) of the gradient system, with λ the eigenvalues of M
    /// (Aligned-MTL §3, its stability criterion). +∞ when the gradients are linearly dependent
    /// (λmin at or below <see cref="Gramian.RankTolerance"/>) or all zero.
    /// </summary>
    public double ConditionNumber => _conditionNumber ??= ComputeConditionNumber();

    /// <summary>Cosine similarity of the gradients of tasks <paramref name="i"/> and <paramref name="j"/>; 0 when either is zero.</summary>
    /// <exception cref="IndexOutOfRangeException">An index is outside 0 … T−1.</exception>
    public double Cosine(int i, int j) => Cosines[i, j];

    /// <summary>A copy of the T×T cosine-similarity matrix.</summary>
    public double[,] CosineMatrix() => (double[,])Cosines.Clone();

    /// <summary>The weights as the array handed to the combine (internal: never exposed for writing).</summary>
    internal double[] WeightArray => _weights;

    private double[] Norms => _norms ??= ComputeNorms();

    private double[,] Cosines => _cosines ??= ComputeCosines();

    private double[] ComputeNorms()
    {
        var norms = new double[TaskCount];
        for (var i = 0; i < norms.Length; i++)
            norms[i] = Math.Sqrt(Math.Max(Gramian[i, i], 0));
        return norms;
    }

    private double[,] ComputeCosines()
    {
        var n = TaskCount;
        var norms = Norms;
        var cosines = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var denominator = norms[i] * norms[j];
                cosines[i, j] = denominator > 0 ? Math.Clamp(Gramian[i, j] / denominator, -1, 1) : 0;
            }
        }
        return cosines;
    }

    private int CountConflicts()
    {
        var conflicts = 0;
        for (var i = 0; i < TaskCount; i++)
        {
            for (var j = i + 1; j < TaskCount; j++)
            {
                if (Gramian[i, j] < 0)
                    conflicts++;
            }
        }
        return conflicts;
    }

    private double ComputeConditionNumber()
    {
        var smallest = Gramian.Eigenvalues[0];
        var largest = Gramian.LargestEigenvalue;
        return largest > 0 && smallest > Gramian.RankTolerance ? Math.Sqrt(largest / smallest) : double.PositiveInfinity;
    }
}
