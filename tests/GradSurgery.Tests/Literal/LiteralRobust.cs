using System;
using System.Linq;
using static GradSurgery.Tests.Literal.Vectors;

namespace GradSurgery.Tests.Literal;

/// <summary>The robust and elementwise aggregators as their papers define them, on explicit vectors.</summary>
internal static class LiteralRobust
{
    /// <summary>Multi-Krum: the mean of the k gradients with the lowest sums of squared distances to their T − f − 2 nearest others.</summary>
    public static double[] Krum(double[][] g, int f, int k)
    {
        var scores = g.Select((gi, i) => g.Where((_, j) => j != i).Select(gj => Dot(Add(gi, gj, -1), Add(gi, gj, -1))).OrderBy(x => x).Take(g.Length - f - 2).Sum()).ToArray();
        var chosen = Enumerable.Range(0, g.Length).OrderBy(i => scores[i]).ThenBy(i => i).Take(k);
        return Scale(chosen.Aggregate(Zeros(g[0].Length), (sum, i) => Add(sum, g[i])), 1.0 / k);
    }

    /// <summary>Per coordinate, the mean of the components left after dropping the f largest and f smallest.</summary>
    public static double[] TrimmedMean(double[][] g, int f) =>
        Enumerable.Range(0, g[0].Length).Select(k => g.Select(gi => gi[k]).OrderBy(x => x).Skip(f).Take(g.Length - (2 * f)).Average()).ToArray();

    /// <summary>GradDrop's Algorithm 1 with the uniforms <paramref name="u"/> and leaks ℓ: Σₜ (ℓₜ + (1 − ℓₜ)·Mₜ)·gₜ.</summary>
    public static double[] GradDrop(double[][] g, double[] u, double[] leaks)
    {
        var update = Zeros(g[0].Length);
        for (var k = 0; k < update.Length; k++)
        {
            var purity = 0.5 * (1 + (g.Sum(gi => gi[k]) / g.Sum(gi => Math.Abs(gi[k]))));
            for (var i = 0; i < g.Length; i++)
            {
                var keep = (purity > u[k] && g[i][k] > 0) || (purity < u[k] && g[i][k] < 0);
                update[k] += (leaks[i] + ((1 - leaks[i]) * (keep ? 1 : 0))) * g[i][k];
            }
        }
        return update;
    }
}
