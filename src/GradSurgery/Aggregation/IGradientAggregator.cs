using TorchSharp;

namespace GradSurgery;

/// <summary>Combines T per-task gradients into one update vector.</summary>
public interface IGradientAggregator
{
    /// <summary>Combines the rows of <paramref name="gradients"/> into one update.</summary>
    /// <param name="gradients">
    /// A [T, P] tensor, one flattened task gradient per row, T ≥ 1, P ≥ 1, of dtype float16, bfloat16,
    /// float32 or float64, on any device. It is not modified.
    /// </param>
    /// <returns>A new [P] tensor with the dtype and device of <paramref name="gradients"/>; the caller owns it.</returns>
    /// <exception cref="System.ArgumentException">The shape or dtype is unsupported, or an entry is NaN or infinite.</exception>
    torch.Tensor Aggregate(torch.Tensor gradients);
}
