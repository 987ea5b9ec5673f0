namespace GradSurgery;

/// <summary>
/// A multi-task method written on the Gram matrix: it maps M = G·Gᵀ (T×T) to task weights w (T) such
/// that the combined update is d = Σₜ wₜ·gₜ = wᵀ·G. Pure double-precision math on the host: no tensors,
/// no device work (that is <see cref="GramianWeightedAggregator"/>'s), no hidden mutable state.
/// </summary>
/// <remarks>
/// A weighting whose result depends on earlier calls (a random generator, a moving average) says so
/// by implementing <see cref="IStatefulWeighting"/>. All others are safe to share between threads and
/// between aggregators.
/// </remarks>
public interface IGramianWeighting
{
    /// <summary>The method's name as its paper writes it (for example "Aligned-MTL"); the key of <see cref="WeightingCatalog"/>.</summary>
    string Name { get; }

    /// <summary>Computes the task weights w for the Gram matrix <paramref name="gramian"/>.</summary>
    /// <param name="gramian">The T×T Gram matrix of the task gradients.</param>
    /// <returns>T finite weights; the update is Σₜ wₜ·gₜ.</returns>
    /// <exception cref="System.ArgumentNullException"><paramref name="gramian"/> is null.</exception>
    double[] ComputeWeights(Gramian gramian);
}
