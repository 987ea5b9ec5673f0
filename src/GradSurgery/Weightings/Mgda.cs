using System;

namespace GradSurgery;

/// <summary>
/// MGDA (Désidéri 2012; Sener &amp; Koltun 2018): the minimum-norm point of the convex hull of the
/// task gradients, d = Σₜ wₜ·gₜ with w = argmin over the simplex of wᵀMw. d never conflicts with any
/// task (d·gₜ ≥ ‖d‖² ≥ 0), and d = 0 exactly at Pareto-stationary points.
/// </summary>
/// <remarks>
/// The simplex QP is solved exactly by Wolfe's minimum-norm-point algorithm (finite, active-set),
/// not by a fixed number of Frank–Wolfe steps. The weights sum to 1. When the minimum-norm point is
/// not unique in w (linearly dependent gradients), d still is.
/// </remarks>
public sealed class Mgda : IGramianWeighting
{
    /// <inheritdoc />
    public string Name => "MGDA";

    /// <summary>w = argmin_{w ≥ 0, Σw = 1} wᵀMw.</summary>
    public double[] ComputeWeights(Gramian gramian)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        return MinimumNormPoint.Solve(gramian.Values);
    }
}
