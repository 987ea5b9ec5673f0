using static TorchSharp.torch;

namespace GradSurgery.Benchmarks.Aggregation;

/// <summary>
/// GradOPS (Zhu et al. 2025, Algorithm 1) written the way a parameter-space Python implementation
/// runs it: for each task that conflicts with another (one dot product and host read per pair),
/// Gram–Schmidt on the other T − 1 gradients over P (Eqs. 1–2), projection of gᵢ off their span,
/// then Eqs. 3–5 with one reduction per task. Benchmark baseline only: O(T³) passes over P-vectors.
/// </summary>
public static class LiteralGradOps
{
    /// <summary>Squared-norm floor below which a Gram–Schmidt residual counts as linearly dependent.</summary>
    private const float DependentResidual = 1e-12f;

    /// <summary>Writes Σᵢ wᵢ·g′ᵢ (Eq. 5 weights with exponent <paramref name="alpha"/>) into <paramref name="destination"/>.</summary>
    public static void Aggregate(Tensor gradients, Tensor destination, double alpha)
    {
        using var scope = NewDisposeScope();
        var taskCount = (int)gradients.shape[0];
        var projected = new Tensor[taskCount];
        for (var i = 0; i < taskCount; i++)
        {
            var gi = gradients[i];
            var conflicts = Enumerable.Range(0, taskCount).Any(j => j != i && gi.dot(gradients[j]).item<float>() < 0);
            if (!conflicts)
            {
                projected[i] = gi;
                continue;
            }

            var basis = new List<Tensor>();
            for (var j = 0; j < taskCount; j++)
            {
                if (j == i)
                {
                    continue;
                }

                var u = gradients[j].clone();
                foreach (var b in basis)
                {
                    u.sub_(u.dot(b) * b);
                }

                var normSquared = u.dot(u).item<float>();
                if (normSquared > DependentResidual)
                {
                    basis.Add(u / MathF.Sqrt(normSquared));
                }
            }

            var p = gi.clone();
            foreach (var b in basis)
            {
                p.sub_(gi.dot(b) * b);
            }

            projected[i] = p;
        }

        var total = stack(projected).sum(dim: 0);
        var r = new double[taskCount];
        for (var i = 0; i < taskCount; i++)
        {
            r[i] = total.dot(gradients[i]).item<float>() / gradients[i].norm().item<float>();
        }

        var meanR = r.Average();
        var powered = r.Select(v => Math.Pow(v / meanR, alpha)).ToArray();
        var meanPowered = powered.Average();
        destination.zero_();
        for (var i = 0; i < taskCount; i++)
        {
            destination.add_(projected[i], alpha: powered[i] / meanPowered);
        }
    }
}
