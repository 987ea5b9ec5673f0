using System;
using System.Collections.Generic;

namespace GradSurgery;

/// <summary>
/// Aligned-MTL (Senushkin et al., Independent Component Alignment for Multi-Task Learning, CVPR 2023,
/// Algorithm 1): makes the gradient system's singular values equal (condition number 1) while keeping
/// its singular vectors. With M = V·Λ·Vᵀ, B = √s·V·Λ^(-1/2)·Vᵀ over the kept eigenpairs, the update is
/// G·B·w, i.e. task weights α = B·w.
/// </summary>
/// <remarks>
/// <para>Eigenvalues at or below λmax·T·ε₃₂ (ε₃₂ the float32 machine epsilon, whatever the dtype)
/// are dropped, as the official code does: their directions are not amplified.</para>
/// <para>w defaults to all ones: the official code sums the aligned gradients (TorchJD uses 1/T,
/// which is this times 1/T). All-zero gradients give a zero update (B = I there; the official code
/// fails on them).</para>
/// </remarks>
public sealed class AlignedMtl : IGramianWeighting
{
    /// <summary>Relative eigenvalue cut-off per task, the float32 machine epsilon, as the official code.</summary>
    internal const double RankEpsilon = Gramian.SinglePrecisionEpsilon;

    private readonly double[]? _taskWeights;

    /// <summary>Creates Aligned-MTL.</summary>
    /// <param name="taskWeights">Task weights w (finite, ≥ 0), one per task; null (default) means all ones.</param>
    /// <param name="scale">Eigenvalue that sets the aligned singular value (default the smallest, as Algorithm 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">A weight is negative or not finite, or <paramref name="scale"/> is undefined.</exception>
    /// <exception cref="ArgumentException"><paramref name="taskWeights"/> is empty.</exception>
    public AlignedMtl(IReadOnlyList<double>? taskWeights = null, AlignedMtlScale scale = AlignedMtlScale.Min)
    {
        if (taskWeights is not null)
        {
            if (taskWeights.Count == 0)
                throw new ArgumentException("Task weights must have one entry per task; got none.", nameof(taskWeights));
            _taskWeights = new double[taskWeights.Count];
            for (var i = 0; i < taskWeights.Count; i++)
            {
                if (!(taskWeights[i] >= 0) || double.IsPositiveInfinity(taskWeights[i]))
                    throw new ArgumentOutOfRangeException(nameof(taskWeights), taskWeights[i], $"Task weight {i} must be finite and ≥ 0.");
                _taskWeights[i] = taskWeights[i];
            }
        }
        Scale = EnumArgument.Defined(scale, nameof(scale));
    }

    /// <inheritdoc />
    public string Name => "Aligned-MTL";

    /// <summary>The scale mode.</summary>
    public AlignedMtlScale Scale { get; }

    /// <summary>The task weights w, or null for all ones.</summary>
    public IReadOnlyList<double>? TaskWeights => _taskWeights;

    /// <summary>α = B·w (Algorithm 1).</summary>
    /// <exception cref="ArgumentException">Task weights were given for a different number of tasks.</exception>
    public double[] ComputeWeights(Gramian gramian)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        var n = gramian.TaskCount;
        if (_taskWeights is not null && _taskWeights.Length != n)
            throw new ArgumentException($"Aligned-MTL was given {_taskWeights.Length} task weights for {n} tasks.", nameof(gramian));
        var b = BalanceTransformation(gramian);
        var alpha = new double[n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
                alpha[i] += b[i, j] * (_taskWeights?[j] ?? 1.0);
        }
        return alpha;
    }

    /// <summary>B = √s·V·Λ^(-1/2)·Vᵀ over the eigenpairs above the cut-off (the identity when none is).</summary>
    internal double[,] BalanceTransformation(Gramian gramian)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        var n = gramian.TaskCount;
        var eigen = gramian.Eigen;
        var largest = eigen.Values[n - 1];
        var cutoff = largest * n * RankEpsilon;
        var kept = new List<int>();
        for (var k = n - 1; k >= 0; k--)
        {
            if (eigen.Values[k] > cutoff)
                kept.Add(k);
        }
        var b = new double[n, n];
        if (kept.Count == 0 || !(largest > 0))
        {
            for (var i = 0; i < n; i++)
                b[i, i] = 1;
            return b;
        }
        var s = Scale switch
        {
            AlignedMtlScale.Median => eigen.Values[kept[kept.Count - 1 - ((kept.Count - 1) / 2)]],
            AlignedMtlScale.Mean => MeanOf(eigen.Values, kept),
            _ => eigen.Values[kept[kept.Count - 1]],
        };
        var root = Math.Sqrt(s);
        foreach (var k in kept)
        {
            var factor = root / Math.Sqrt(eigen.Values[k]);
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++)
                    b[i, j] += factor * eigen.Vectors[i, k] * eigen.Vectors[j, k];
            }
        }
        return b;
    }

    private static double MeanOf(double[] values, List<int> indices)
    {
        var sum = 0.0;
        foreach (var k in indices)
            sum += values[k];
        return sum / indices.Count;
    }
}
