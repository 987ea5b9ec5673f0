using System;
using System.Collections.Generic;
using System.Linq;
using static GradSurgery.Tests.Literal.Vectors;

namespace GradSurgery.Tests.Literal;

/// <summary>GradOPS exactly as Algorithm 1 and Eqs. 1–5 read, on P-vectors, with the library's documented policies where the paper is undefined.</summary>
internal static class LiteralGradOps
{
    /// <summary>Gram–Schmidt (Eq. 1) skips directions whose residual is below this fraction of the vector's norm (dependent vectors make Eq. 1 divide by zero).</summary>
    public const double DependentFraction = 1e-9;

    public static double[][] Deconflicted(double[][] g)
    {
        var t = g.Length;
        var result = new double[t][];
        for (var i = 0; i < t; i++)
        {
            var conflicted = Enumerable.Range(0, t).Any(k => k != i && Dot(g[i], g[k]) < 0);
            if (!conflicted)
            {
                result[i] = (double[])g[i].Clone();
                continue;
            }
            var basis = new List<double[]>();
            for (var j = 0; j < t; j++)
            {
                if (j == i)
                    continue;
                var u = (double[])g[j].Clone();
                foreach (var v in basis)
                    u = Add(u, v, -Dot(v, g[j]) / Dot(v, v));
                if (Norm(u) > DependentFraction * Norm(g[j]))
                    basis.Add(u);
            }
            var projected = (double[])g[i].Clone();
            foreach (var u in basis)
                projected = Add(projected, u, -Dot(u, g[i]) / Dot(u, u));
            result[i] = projected;
        }
        return result;
    }

    /// <summary>The update, or null when every g′ᵢ is zero (the MGDA fallback, checked separately).</summary>
    public static double[]? Update(double[][] g, double alpha)
    {
        var t = g.Length;
        var gp = Deconflicted(g);
        var scale = g.Max(Norm);
        var zeroFraction = Math.Sqrt(t * Gramian.DoublePrecisionEpsilon);
        if (gp.All(v => Norm(v) <= zeroFraction * scale))
            return null;
        var sum = gp.Aggregate(Zeros(g[0].Length), (a, b) => Add(a, b));
        var nonZero = Enumerable.Range(0, t).Where(i => Norm(g[i]) > 0).ToArray();
        var r = new double[t];
        foreach (var i in nonZero)
            r[i] = Math.Max(Dot(sum, g[i]) / Norm(g[i]), 0);
        var meanR = nonZero.Sum(i => r[i]) / nonZero.Length;
        var w = new double[t];
        if (alpha == 0)
        {
            Array.Fill(w, 1.0);
        }
        else
        {
            var used = nonZero.Where(i => alpha > 0 || r[i] > zeroFraction * Norm(sum)).ToArray();
            foreach (var i in used)
                w[i] = Math.Pow(r[i] / meanR, alpha);
            var meanPower = used.Sum(i => w[i]) / used.Length;
            foreach (var i in used)
                w[i] /= meanPower;
        }
        return Combine(gp, w);
    }
}
