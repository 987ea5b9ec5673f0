using TorchSharp;

namespace GradSurgery;

/// <summary>
/// Combines T per-task gradients into one update vector. Every Gram-space method (an
/// <see cref="IGramianWeighting"/>) becomes one through <see cref="GramianWeightedAggregator"/>.
/// </summary>
public interface IGradientAggregator
{
    /// <summary>The method's name (for a <see cref="GramianWeightedAggregator"/>, its weighting's).</summary>
    string Name { get; }

    /// <summary>Combines the rows of <paramref name="gradients"/> into one new update tensor.</summary>
    /// <param name="gradients">
    /// A [T, P] tensor, one flattened task gradient per row, T ≥ 1, P ≥ 1, of dtype float16, bfloat16,
    /// float32 or float64, on any device. It is not modified.
    /// </param>
    /// <returns>A new [P] tensor with the dtype and device of <paramref name="gradients"/>; the caller owns it.</returns>
    /// <exception cref="System.ArgumentException">The shape or dtype is unsupported.</exception>
    /// <exception cref="NonFiniteGradientException">An entry is NaN or infinite.</exception>
    torch.Tensor Aggregate(torch.Tensor gradients);

    /// <summary>
    /// Writes the combined update of <paramref name="gradients"/> into <paramref name="destination"/>,
    /// a kept [P] buffer (no allocation of size P in float32 and float64).
    /// </summary>
    /// <param name="gradients">[T, P] task gradients, as for <see cref="Aggregate(torch.Tensor)"/>; not modified.</param>
    /// <param name="destination">A [P] tensor of the same dtype and device; overwritten in place.</param>
    /// <returns>The step's diagnostics: the weights applied, and Gram-derived figures computed only when read.</returns>
    /// <exception cref="System.ArgumentException">The shapes, dtypes or devices do not match. The destination is then untouched.</exception>
    /// <exception cref="NonFiniteGradientException">An entry is NaN or infinite. The destination is then untouched.</exception>
    GradientDiagnostics Aggregate(torch.Tensor gradients, torch.Tensor destination);
}
