using System;
using System.Linq;

namespace GradSurgery;

/// <summary>
/// UPGrad, unconflicting projection of gradients (Quinton &amp; Rey, Jacobian Descent for Multi-Objective
/// Optimization, 2024, §3, Eq. 5): each gᵢ/T is projected onto the dual cone {d : gⱼ·d ≥ 0 ∀j} and the
/// projections are summed. In Gram space projection i is x⁽ⁱ⁾ = argmin ½xᵀM̂x subject to x ≥ eᵢ/T, and the
/// weights are Σᵢ x⁽ⁱ⁾; with no conflict every projection is its own gᵢ/T and the update is the mean.
/// </summary>
/// <remarks>
/// <para>As TorchJD and LibMTL: the Gram matrix is divided by its trace and <see cref="Regularization"/>
/// (default 1e-4) is added to its diagonal before the projections, which moves weights by O(ε) from the
/// exact projection (two opposite gradients: 0.9999 each instead of 1). With ε = 0 the projections are
/// exact and the update never conflicts with any task (the paper's non-conflict property).</para>
/// <para>Where the references skip the normalisation below an absolute trace of 1e-4 (so their result
/// depends on the gradients' scale), this weighting always normalises; only all-zero gradients (trace 0)
/// take the mean weights. The T non-negative QPs are solved exactly (<c>DualConeProjection</c>,
/// Lawson–Hanson), not to a solver tolerance.</para>
/// </remarks>
public sealed class UPGrad : IGramianWeighting
{
    /// <summary>The references' diagonal regularisation ε (TorchJD's and LibMTL's <c>reg_eps</c>), relative to the trace-normalised Gram matrix.</summary>
    public const double DefaultRegularization = 1e-4;

    /// <summary>Creates UPGrad.</summary>
    /// <param name="regularization">ε added to the diagonal of M/tr(M): finite and ≥ 0 (default 1e-4; 0 projects exactly).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="regularization"/> is negative, NaN or infinite.</exception>
    public UPGrad(double regularization = DefaultRegularization)
    {
        Regularization = DualConeProjection.RequireRegularization(regularization, nameof(regularization));
    }

    /// <summary>The diagonal regularisation ε of the trace-normalised Gram matrix.</summary>
    public double Regularization { get; }

    /// <inheritdoc />
    public string Name => "UPGrad";

    /// <summary>w = Σᵢ x⁽ⁱ⁾, the weights of the T projections summed (the mean weights 1/T when every gradient is zero).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="gramian"/> is null.</exception>
    public double[] ComputeWeights(Gramian gramian)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        var n = gramian.TaskCount;
        return DualConeProjection.SumOfRegularizedProjections(gramian, Regularization, Enumerable.Range(0, n).Select(i => UnitTarget(n, i)));
    }

    /// <summary>eᵢ/T: the weights of gᵢ/T.</summary>
    private static double[] UnitTarget(int n, int i)
    {
        var target = new double[n];
        target[i] = 1.0 / n;
        return target;
    }
}
