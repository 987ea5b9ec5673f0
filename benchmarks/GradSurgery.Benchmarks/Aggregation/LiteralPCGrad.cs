using static TorchSharp.torch;

namespace GradSurgery.Benchmarks.Aggregation;

/// <summary>
/// PCGrad as the Python references run it (LibMTL's PCGrad, Pytorch-PCGrad): every task gradient is
/// cloned, then for each task pair one dot product over P, read back to the host to test its sign
/// (a device sync per pair), and on conflict one projection over P with the other gradient's squared
/// norm recomputed. Benchmark baseline only: O(T²) passes over P-vectors.
/// </summary>
public static class LiteralPCGrad
{
    /// <summary>
    /// Writes Σᵢ gᵢ^PC into <paramref name="destination"/>; the task order per i is shuffled by
    /// <paramref name="random"/>, or 0..T−1 when it is null (<see cref="PCGradTaskOrder.Fixed"/>).
    /// </summary>
    public static void Aggregate(Tensor gradients, Tensor destination, Random? random)
    {
        using var scope = NewDisposeScope();
        var taskCount = (int)gradients.shape[0];
        var projected = gradients.clone();
        var order = Enumerable.Range(0, taskCount).ToArray();
        for (var i = 0; i < taskCount; i++)
        {
            random?.Shuffle(order);
            var gi = projected[i];
            foreach (var j in order)
            {
                var gj = gradients[j];
                var dot = gi.dot(gj).item<float>();
                if (dot < 0)
                {
                    gi.sub_(dot * gj / gj.norm().pow(2));
                }
            }
        }

        destination.copy_(projected.sum(dim: 0));
    }
}
