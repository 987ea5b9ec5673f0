using System;
using static GradSurgery.Tests.Literal.Vectors;

namespace GradSurgery.Tests.Literal;

/// <summary>
/// GradVac's Algorithm 1 in parameter space with the tasks in index order, or in the order a seeded
/// generator shuffles 0…T−1 into for each i (as the library: one shuffle per task i): for each i, for each j ≠ i,
/// φ = cos(gᵢ′, gⱼ); if φ &lt; φ̂ᵢⱼ then gᵢ′ += ‖gᵢ′‖(φ̂√(1−φ²) − φ√(1−φ̂²))/(‖gⱼ‖√(1−φ̂²))·gⱼ; φ̂ᵢⱼ ← (1−β)φ̂ᵢⱼ + βφ.
/// The targets persist across calls (the caller keeps <see cref="Targets"/>).
/// </summary>
internal sealed class LiteralGradVac(int t, double beta, Random? order = null)
{
    public double[,] Targets { get; } = new double[t, t];

    public double[] Update(double[][] g)
    {
        var update = Zeros(g[0].Length);
        for (var i = 0; i < g.Length; i++)
        {
            var gi = (double[])g[i].Clone();
            var others = new int[g.Length];
            for (var k = 0; k < others.Length; k++)
                others[k] = k;
            order?.Shuffle(others);
            foreach (var j in others)
            {
                if (j == i || Norm(g[j]) == 0 || Norm(gi) == 0)
                    continue;
                var phi = Dot(gi, g[j]) / (Norm(gi) * Norm(g[j]));
                var target = Targets[i, j];
                if (phi < target)
                {
                    var w = Norm(gi) * ((target * Math.Sqrt(1 - (phi * phi))) - (phi * Math.Sqrt(1 - (target * target)))) / (Norm(g[j]) * Math.Sqrt(1 - (target * target)));
                    gi = Add(gi, g[j], w);
                }
                Targets[i, j] = ((1 - beta) * target) + (beta * phi);
            }
            update = Add(update, gi);
        }
        return update;
    }
}
