using System;
using static GradSurgery.Tests.Literal.Vectors;

namespace GradSurgery.Tests.Literal;

/// <summary>
/// A slow, generic reference minimiser over the simplex in parameter space (Frank–Wolfe with exact
/// line search on a fine grid refined around the best point): independent of the library's active-set
/// solvers, used for MGDA and CAGrad's dual as a stand-in for the authors' generic SLSQP call.
/// </summary>
internal static class LiteralSimplex
{
    public static double[] Minimize(Func<double[], double> objective, int t, int iterations = 4000)
    {
        var w = new double[t];
        Array.Fill(w, 1.0 / t);
        var best = objective(w);
        for (var iteration = 0; iteration < iterations; iteration++)
        {
            var improved = false;
            for (var vertex = 0; vertex < t; vertex++)
            {
                var (step, value) = LineSearch(objective, w, vertex);
                if (value < best)
                {
                    for (var k = 0; k < t; k++)
                        w[k] = ((1 - step) * w[k]) + (k == vertex ? step : 0);
                    best = value;
                    improved = true;
                }
            }
            // Away steps: move weight from one task to another, so that the support can shrink.
            for (var from = 0; from < t; from++)
            {
                for (var to = 0; to < t; to++)
                {
                    if (from == to || w[from] <= 0)
                        continue;
                    var (amount, value) = Transfer(objective, w, from, to);
                    if (value < best)
                    {
                        w[from] -= amount;
                        w[to] += amount;
                        best = value;
                        improved = true;
                    }
                }
            }
            if (!improved)
                break;
        }
        return w;
    }

    private static (double Step, double Value) LineSearch(Func<double[], double> f, double[] w, int vertex)
    {
        double Eval(double s)
        {
            var x = new double[w.Length];
            for (var k = 0; k < w.Length; k++)
                x[k] = ((1 - s) * w[k]) + (k == vertex ? s : 0);
            return f(x);
        }
        return Golden(Eval, 0, 1);
    }

    private static (double Amount, double Value) Transfer(Func<double[], double> f, double[] w, int from, int to)
    {
        double Eval(double a)
        {
            var x = (double[])w.Clone();
            x[from] -= a;
            x[to] += a;
            return f(x);
        }
        return Golden(Eval, 0, w[from]);
    }

    private static (double X, double Value) Golden(Func<double, double> f, double lo, double hi)
    {
        var ratio = (Math.Sqrt(5) - 1) / 2;
        for (var i = 0; i < 120 && hi - lo > 1e-17; i++)
        {
            var a = hi - (ratio * (hi - lo));
            var b = lo + (ratio * (hi - lo));
            if (f(a) < f(b))
                hi = b;
            else
                lo = a;
        }
        var x = 0.5 * (lo + hi);
        var candidates = new[] { (x, f(x)), (0.0, f(0)) };
        return candidates[0].Item2 <= candidates[1].Item2 ? candidates[0] : candidates[1];
    }

    public static double MinNormObjective(double[][] g, double[] w) => Dot(Combine(g, w), Combine(g, w));
}
