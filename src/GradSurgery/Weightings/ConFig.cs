using System;

namespace GradSurgery;

/// <summary>
/// ConFIG, conflict-free inverse gradients (Liu et al., ConFIG: Towards Conflict-free Training of
/// Physics Informed Neural Networks, ICLR 2025, Eq. 2): with unit gradients uₜ = gₜ/‖gₜ‖, the direction
/// û = x/‖x‖ of x = U⁺·𝟙 (the least-norm x with uₜ·x = 1 for every t: equal positive cosines to every
/// task), scaled by the summed projections: d = (Σₜ gₜ·û)·û.
/// </summary>
/// <remarks>
/// <para>In Gram space x = Σₜ cₜ·uₜ with c = (D·M·D)⁺·𝟙, D = diag(1/‖gₜ‖), ‖x‖² = cᵀ(DMD)c, and the
/// weights on the gradients are wₜ = (𝟙ᵀM·D·c/‖x‖²)·cₜ/‖gₜ‖. As TorchJD: zero gradients have zero unit
/// rows, the pseudo-inverse drops eigenvalues of D·M·D at or below its rank tolerance, and all-zero
/// gradients give zero weights.</para>
/// <para>When the unit gradients are independent every task gets the same positive cosine with the
/// update, so it never conflicts as long as Σₜ gₜ·û ≥ 0, which holds by construction (û·uₜ = 1/‖x‖ &gt; 0).
/// Invariant to the task order, linear in the gradients' scale.</para>
/// </remarks>
public sealed class ConFig : IGramianWeighting
{
    /// <inheritdoc />
    public string Name => "ConFIG";

    /// <summary>w = (𝟙ᵀM·D·c/‖x‖²)·D·c with c = (D·M·D)⁺·𝟙.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="gramian"/> is null.</exception>
    public double[] ComputeWeights(Gramian gramian)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        var n = gramian.TaskCount;
        var inverseNorms = new double[n];
        for (var i = 0; i < n; i++)
            inverseNorms[i] = gramian[i, i] > 0 ? 1 / Math.Sqrt(gramian[i, i]) : 0;
        var units = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
                units[i, j] = gramian[i, j] * inverseNorms[i] * inverseNorms[j];
        }
        var unitGramian = new Gramian(units, gramian.RelativePrecision);
        var ones = new double[n];
        Array.Fill(ones, 1.0);
        var c = unitGramian.Eigen.PseudoInverseTimes(ones, unitGramian.RankTolerance);
        var squaredLength = unitGramian.QuadraticForm(c);
        var direction = new double[n];
        if (!(squaredLength > 0))
            return direction;
        for (var i = 0; i < n; i++)
            direction[i] = c[i] * inverseNorms[i];
        var projections = gramian.Multiply(direction);
        var scale = 0.0;
        foreach (var p in projections)
            scale += p;
        for (var i = 0; i < n; i++)
            direction[i] *= scale / squaredLength;
        return direction;
    }
}
