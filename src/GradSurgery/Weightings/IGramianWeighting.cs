namespace GradSurgery;

/// <summary>
/// A multi-task method written on the Gram matrix: it maps M = G·Gᵀ (T×T) to task weights w (T) such
/// that the combined update is d = Σₜ wₜ·gₜ = wᵀ·G. Pure double-precision math on the host.
/// </summary>
public interface IGramianWeighting
{
    /// <summary>Computes the task weights w for the Gram matrix <paramref name="gramian"/>.</summary>
    /// <param name="gramian">The T×T Gram matrix of the task gradients.</param>
    /// <returns>T finite weights; the update is Σₜ wₜ·gₜ.</returns>
    double[] ComputeWeights(Gramian gramian);
}
