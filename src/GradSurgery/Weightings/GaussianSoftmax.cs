using System;

namespace GradSurgery;

/// <summary>RLW's draw, shared by the gradient and the loss form so that one seed gives the same weights in both.</summary>
internal static class GaussianSoftmax
{
    /// <summary>Generator values one draw of <paramref name="count"/> weights consumes (two per Box–Muller normal).</summary>
    public static long ValuesPerDraw(int count) => 2L * count;

    /// <summary>softmax(z) for z ~ N(0, I) drawn from <paramref name="random"/> (Box–Muller, shifted by max z).</summary>
    public static double[] Draw(Random random, int count)
    {
        var z = new double[count];
        for (var i = 0; i < count; i++)
            z[i] = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        return StableSoftmax.Of(z);
    }
}
