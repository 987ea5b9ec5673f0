using System.Collections.Generic;
using System.Linq;
using GradSurgery.Tests.Weightings;
using TorchSharp;
using static GradSurgery.Tests.Literal.Vectors;
using static TorchSharp.torch;

namespace GradSurgery.Tests.Properties;

/// <summary>The inputs of the property suite and the host-side run of a method on them.</summary>
public static class SuiteCases
{
    /// <summary>Task counts of the suite: both parities, T = 2 (where many methods coincide) up to 8.</summary>
    private static readonly int[] TaskCounts = [2, 3, 5, 8];

    /// <summary>The scales every ordinary case is multiplied by (0 included: all-zero gradients).</summary>
    public static readonly double[] Scales = [0, 1e-10, 1e-5, 1, 1e5, 1e10, 1e15];

    /// <summary>Ordinary inputs: not strongly stationary (no strictly positive combination of the rows vanishes).</summary>
    public static IEnumerable<(string Name, double[,] Gradients)> NotStronglyStationary()
    {
        foreach (var t in TaskCounts)
        {
            yield return ($"random T={t}", GradientCases.Random(t, 1));
            yield return ($"conflicting T={t}", GradientCases.Conflicting(t, 2));
            yield return ($"one dominating T={t}", GradientCases.Dominating(t, 3));
            yield return ($"rank-deficient T={t}", GradientCases.RankDeficient(t, 4));
            yield return ($"zero row T={t}", GradientCases.WithZeroRow(t, 5));
        }
        // Pareto- but not strongly stationary: g + (−g) = 0, yet h gets no positive partner.
        var g = Row(GradientCases.Random(1, 11), 0);
        var h = Row(GradientCases.Random(1, 12), 0);
        yield return ("opposite pair and a third T=3", FromRows([g, Scale(g, -1), h]));
    }

    /// <summary>Strongly stationary inputs: a strictly positive combination of the rows is zero.</summary>
    public static IEnumerable<(string Name, double[,] Gradients)> StronglyStationary()
    {
        var g = Row(GradientCases.Random(1, 9), 0);
        yield return ("opposite T=2", FromRows([g, Scale(g, -1)]));
        yield return ("g and -2g T=2", FromRows([g, Scale(g, -2)]));
        var h = Row(GradientCases.Random(1, 10), 0);
        var third = Scale(Add(g, h), -1);
        yield return ("three summing to zero T=3", FromRows([g, h, third]));
        yield return ("all zero T=3", new double[3, GradientCases.Parameters]);
    }

    /// <summary>Every input of the suite.</summary>
    public static IEnumerable<(string Name, double[,] Gradients)> All() => NotStronglyStationary().Concat(StronglyStationary());

    /// <summary>The update of <paramref name="method"/> (a fresh instance) for float64 gradients.</summary>
    public static double[] Update(SuiteMethod method, double[,] gradients)
    {
        using var scope = NewDisposeScope();
        var g = torch.tensor(gradients, dtype: ScalarType.Float64);
        return method.Create(gradients.GetLength(0)).Aggregate(g).data<double>().ToArray();
    }

    public static double[,] Scaled(double[,] gradients, double s)
    {
        var t = gradients.GetLength(0);
        var p = gradients.GetLength(1);
        var scaled = new double[t, p];
        for (var i = 0; i < t; i++)
        {
            for (var k = 0; k < p; k++)
                scaled[i, k] = s * gradients[i, k];
        }
        return scaled;
    }

    /// <summary>The rows of <paramref name="gradients"/> in the order <paramref name="permutation"/>.</summary>
    public static double[,] Permuted(double[,] gradients, int[] permutation)
    {
        var p = gradients.GetLength(1);
        var permuted = new double[permutation.Length, p];
        for (var i = 0; i < permutation.Length; i++)
        {
            for (var k = 0; k < p; k++)
                permuted[i, k] = gradients[permutation[i], k];
        }
        return permuted;
    }

    /// <summary>A fixed permutation that moves every task (a rotation by one).</summary>
    public static int[] Rotation(int t) => Enumerable.Range(0, t).Select(i => (i + 1) % t).ToArray();

    private static double[,] FromRows(double[][] rows)
    {
        var m = new double[rows.Length, rows[0].Length];
        for (var i = 0; i < rows.Length; i++)
        {
            for (var k = 0; k < rows[0].Length; k++)
                m[i, k] = rows[i][k];
        }
        return m;
    }
}
