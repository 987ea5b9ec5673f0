using System;
using GradSurgery.Tests.Literal;

namespace GradSurgery.Tests.Weightings;

/// <summary>Runs a weighting on explicit double gradients, all on the host: M = G·Gᵀ → w → Σ wₜ·gₜ.</summary>
internal static class GramSpace
{
    public static double[] Update(IGramianWeighting method, double[,] gradients) =>
        Vectors.Combine(Vectors.Rows(gradients), method.ComputeWeights(Gramian.FromGradients(gradients)));

    /// <summary>Largest gradient norm, the scale for relative comparisons (1 when all are zero).</summary>
    public static double Scale(double[,] gradients)
    {
        var scale = 0.0;
        foreach (var row in Vectors.Rows(gradients))
            scale = Math.Max(scale, Vectors.Norm(row));
        return scale > 0 ? scale : 1;
    }

    public static void AssertClose(double[] expected, double[] actual, double relative, double scale, string label)
    {
        Xunit.Assert.Equal(expected.Length, actual.Length);
        for (var k = 0; k < expected.Length; k++)
        {
            var error = Math.Abs(expected[k] - actual[k]);
            if (!(error <= relative * scale))
                Xunit.Assert.Fail($"{label}: component {k} is {actual[k]:R}, expected {expected[k]:R} (error {error / scale:E2} relative, allowed {relative:E0}).");
        }
    }
}
