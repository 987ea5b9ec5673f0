using System;
using System.Linq;

namespace GradSurgery.Tests.Literal;

/// <summary>Parameter-space vector arithmetic for the literal reference implementations.</summary>
internal static class Vectors
{
    public static double Dot(double[] a, double[] b)
    {
        var s = 0.0;
        for (var i = 0; i < a.Length; i++)
            s += a[i] * b[i];
        return s;
    }

    public static double Norm(double[] a) => Math.Sqrt(Dot(a, a));

    public static double[] Add(double[] a, double[] b, double scale = 1) => a.Select((v, i) => v + (scale * b[i])).ToArray();

    public static double[] Scale(double[] a, double s) => a.Select(v => v * s).ToArray();

    public static double[] Zeros(int n) => new double[n];

    public static double[] Row(double[,] m, int i) => Enumerable.Range(0, m.GetLength(1)).Select(k => m[i, k]).ToArray();

    public static double[][] Rows(double[,] m) => Enumerable.Range(0, m.GetLength(0)).Select(i => Row(m, i)).ToArray();

    /// <summary>Σ wᵢ·gᵢ.</summary>
    public static double[] Combine(double[][] g, double[] w)
    {
        var d = new double[g[0].Length];
        for (var i = 0; i < g.Length; i++)
            d = Add(d, g[i], w[i]);
        return d;
    }

    public static double MaxAbs(double[] a) => a.Length == 0 ? 0 : a.Max(Math.Abs);
}
