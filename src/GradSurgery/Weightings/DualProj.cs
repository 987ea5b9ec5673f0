using System;

namespace GradSurgery;

/// <summary>
/// DualProj (Quinton &amp; Rey, Jacobian Descent for Multi-Objective Optimization, 2024, after GEM,
/// Lopez-Paz &amp; Ranzato 2017): the mean gradient projected onto the dual cone {d : gⱼ·d ≥ 0 ∀j}. In
/// Gram space the weights are argmin ½xᵀM̂x subject to x ≥ 𝟙/T; with no conflict the update is the mean.
/// </summary>
/// <remarks>
/// As TorchJD: M̂ = M/tr(M) + ε·I with ε = <see cref="Regularization"/> (default 1e-4); ε = 0 projects
/// exactly, and the update then never conflicts with any task. Always normalised (scale-invariant; the
/// reference skips it below an absolute trace of 1e-4); all-zero gradients take the mean weights. The
/// QP is solved exactly (Lawson–Hanson).
/// </remarks>
public sealed class DualProj : IGramianWeighting
{
    /// <summary>Creates DualProj.</summary>
    /// <param name="regularization">ε added to the diagonal of M/tr(M): finite and ≥ 0 (default 1e-4, as <see cref="UPGrad.DefaultRegularization"/>; 0 projects exactly).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="regularization"/> is negative, NaN or infinite.</exception>
    public DualProj(double regularization = UPGrad.DefaultRegularization)
    {
        Regularization = DualConeProjection.RequireRegularization(regularization, nameof(regularization));
    }

    /// <summary>The diagonal regularisation ε of the trace-normalised Gram matrix.</summary>
    public double Regularization { get; }

    /// <inheritdoc />
    public string Name => "DualProj";

    /// <summary>The weights of the projection of the mean gradient (the mean weights 1/T when every gradient is zero).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="gramian"/> is null.</exception>
    public double[] ComputeWeights(Gramian gramian)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        var mean = new double[gramian.TaskCount];
        Array.Fill(mean, 1.0 / mean.Length);
        return DualConeProjection.SumOfRegularizedProjections(gramian, Regularization, [mean]);
    }
}
