using System;

namespace GradSurgery;

/// <summary>softmax(x) on the host, shifted by max x so that no exponential overflows (RLW, DWA, STCH, FAMO).</summary>
internal static class StableSoftmax
{
    /// <summary>exp(xᵢ − max x) / Σⱼ exp(xⱼ − max x), as a new array.</summary>
    public static double[] Of(double[] x)
    {
        var largest = double.NegativeInfinity;
        foreach (var value in x)
            largest = Math.Max(largest, value);
        var result = new double[x.Length];
        var sum = 0.0;
        for (var i = 0; i < x.Length; i++)
        {
            result[i] = Math.Exp(x[i] - largest);
            sum += result[i];
        }
        for (var i = 0; i < x.Length; i++)
            result[i] /= sum;
        return result;
    }
}
