using System;

namespace GradSurgery;

/// <summary>
/// IMTL-G, the gradient half of impartial multi-task learning (Liu et al., Towards Impartial Multi-task
/// Learning, ICLR 2021, §3.2): the update d = Σₜ wₜ·gₜ with Σₜ wₜ = 1 whose projections onto every unit
/// gradient uₜ = gₜ/‖gₜ‖ are equal (d·uᵢ = d·uⱼ). In Gram space (M·w)ₜ/√Mₜₜ is the same for every t, so
/// w ∝ M⁺·√diag(M), normalised to sum 1.
/// </summary>
/// <remarks>
/// <para>As TorchJD: v = M⁺·√diag(M) through the pseudo-inverse (eigenvalues at or below
/// <see cref="Gramian.RankTolerance"/> dropped), w = v/Σv. The paper's (D·Uᵀ)⁻¹ form (LibMTL) is the same
/// weights for independent gradients and fails on dependent ones; the pseudo-inverse gives the
/// minimum-norm weights there.</para>
/// <para>When Σv vanishes (|Σv| at or below T·<see cref="Gramian.RelativePrecision"/>·Σ|v|, a relative
/// test where TorchJD's is an absolute 1e-12) no update with Σw = 1 has equal projections, and the
/// weights are zero; so are they when every gradient is zero. The update is not conflict-free in
/// general (the common projection can be negative), is invariant to the task order and linear in the
/// gradients' scale.</para>
/// </remarks>
public sealed class ImtlG : IGramianWeighting
{
    /// <inheritdoc />
    public string Name => "IMTL-G";

    /// <summary>w = M⁺·√diag(M) / Σ(M⁺·√diag(M)), or zeros when that sum vanishes.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="gramian"/> is null.</exception>
    public double[] ComputeWeights(Gramian gramian)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        var n = gramian.TaskCount;
        var norms = new double[n];
        for (var i = 0; i < n; i++)
            norms[i] = Math.Sqrt(Math.Max(gramian[i, i], 0));
        var v = gramian.Eigen.PseudoInverseTimes(norms, gramian.RankTolerance);
        var sum = 0.0;
        var magnitude = 0.0;
        foreach (var x in v)
        {
            sum += x;
            magnitude += Math.Abs(x);
        }
        if (!(Math.Abs(sum) > n * gramian.RelativePrecision * magnitude))
            return new double[n];
        for (var i = 0; i < n; i++)
            v[i] /= sum;
        return v;
    }
}
