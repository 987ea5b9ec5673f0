using System;
using System.Collections.Generic;

namespace GradSurgery.Tests.Weightings;

/// <summary>Named T×P gradient matrices covering the regimes every method must handle.</summary>
public static class GradientCases
{
    public const int Parameters = 24;

    /// <summary>Well-conditioned cases (full row rank, T ≤ P): Gram-space and parameter-space results agree to 1e-9.</summary>
    public static IEnumerable<object[]> WellConditioned()
    {
        foreach (var t in new[] { 1, 2, 3, 4, 8, 16 })
        {
            yield return new object[] { $"random T={t}", Random(t, 1) };
            yield return new object[] { $"conflicting T={t}", Conflicting(t, 2) };
            yield return new object[] { $"one dominating 100x T={t}", Dominating(t, 3) };
        }
    }

    /// <summary>Degenerate cases: dependent, zero and identical rows, T = 1 and nearly collinear rows.</summary>
    public static IEnumerable<object[]> Degenerate()
    {
        foreach (var t in new[] { 2, 3, 4, 8, 16 })
        {
            yield return new object[] { $"rank-deficient T={t}", RankDeficient(t, 4) };
            yield return new object[] { $"zero row T={t}", WithZeroRow(t, 5) };
            yield return new object[] { $"identical rows T={t}", Identical(t, 6) };
        }
        yield return new object[] { "all zero T=3", new double[3, Parameters] };
        yield return new object[] { "T=1", Random(1, 7) };
    }

    /// <summary>Rows whose directions differ by about 1e-3 rad: κ ≈ 1e3, so the Gram's κ² ≈ 1e6 amplifies rounding.</summary>
    public static IEnumerable<object[]> NearlyCollinear()
    {
        foreach (var t in new[] { 2, 3, 4 })
            yield return new object[] { $"nearly collinear T={t}", NearlyCollinear(t, 8) };
    }

    public static IEnumerable<object[]> All()
    {
        foreach (var c in WellConditioned())
            yield return c;
        foreach (var c in Degenerate())
            yield return c;
        foreach (var c in NearlyCollinear())
            yield return c;
    }

    public static double[,] Random(int t, int seed, int p = Parameters)
    {
        var random = new Random(seed * 7919 + t);
        var g = new double[t, p];
        for (var i = 0; i < t; i++)
        {
            for (var k = 0; k < p; k++)
                g[i, k] = Normal(random);
        }
        return g;
    }

    /// <summary>Rows = a common direction plus large alternating opposite components: most pairs conflict.</summary>
    public static double[,] Conflicting(int t, int seed)
    {
        var g = Random(t, seed);
        for (var i = 0; i < t; i++)
        {
            for (var k = 0; k < Parameters; k++)
                g[i, k] = 0.3 * g[i, k] + (k % 2 == i % 2 ? 3.0 : -3.0) + (k == i % Parameters ? 1 : 0);
        }
        return g;
    }

    public static double[,] Dominating(int t, int seed)
    {
        var g = Random(t, seed);
        for (var k = 0; k < Parameters; k++)
            g[0, k] *= 100;
        return g;
    }

    public static double[,] RankDeficient(int t, int seed)
    {
        var g = Random(t, seed);
        for (var k = 0; k < Parameters; k++)
            g[t - 1, k] = -0.5 * g[0, k] + 2 * g[t > 2 ? 1 : 0, k];
        return g;
    }

    public static double[,] WithZeroRow(int t, int seed)
    {
        var g = Conflicting(t, seed);
        for (var k = 0; k < Parameters; k++)
            g[t / 2, k] = 0;
        return g;
    }

    public static double[,] Identical(int t, int seed)
    {
        var g = Random(t, seed);
        for (var i = 1; i < t; i++)
        {
            for (var k = 0; k < Parameters; k++)
                g[i, k] = g[0, k];
        }
        return g;
    }

    public static double[,] NearlyCollinear(int t, int seed)
    {
        var noise = Random(t, seed);
        var baseRow = Random(1, seed + 1);
        var g = new double[t, Parameters];
        for (var i = 0; i < t; i++)
        {
            for (var k = 0; k < Parameters; k++)
                g[i, k] = (i % 2 == 0 ? 1 : -1) * baseRow[0, k] + 1e-3 * noise[i, k];
        }
        return g;
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
