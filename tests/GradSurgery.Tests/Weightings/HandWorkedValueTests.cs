using Xunit;

namespace GradSurgery.Tests.Weightings;

/// <summary>The 2×3 example J = [[-4, 1, 1], [6, 1, 1]] (M = [[18, -22], [-22, 38]]), worked by hand.</summary>
public class HandWorkedValueTests
{
    private static readonly double[,] J = { { -4, 1, 1 }, { 6, 1, 1 } };

    private static void AssertUpdate(IGramianWeighting method, double[] expected, int digits = 4)
    {
        var d = GramSpace.Update(method, J);
        for (var k = 0; k < expected.Length; k++)
            Assert.Equal(expected[k], d[k], digits);
    }

    [Fact]
    public void PCGrad_sum_projects_each_gradient_off_the_other()
    {
        // g1' = g1 + (22/38)·g2, g2' = g2 + (22/18)·g1.
        AssertUpdate(new PCGrad(order: PCGradTaskOrder.Fixed), new[] { 0.5848, 3.8012, 3.8012 });
        AssertUpdate(new PCGrad(seed: 3), new[] { 0.5848, 3.8012, 3.8012 });
    }

    [Fact]
    public void PCGrad_mean_halves_the_sum()
    {
        AssertUpdate(new PCGrad(PCGradReduction.Mean, PCGradTaskOrder.Fixed), new[] { 0.2924, 1.9006, 1.9006 });
    }

    [Fact]
    public void Mgda_finds_the_min_norm_point_of_the_segment()
    {
        // w1 = (38 + 22)/(18 + 38 + 44) = 0.6: d = 0.6·g1 + 0.4·g2 = [0, 1, 1].
        AssertUpdate(new Mgda(), new[] { 0.0, 1.0, 1.0 }, 12);
        Assert.Equal(new[] { 0.6, 0.4 }, new Mgda().ComputeWeights(Gramian.FromGradients(J)), new ToleranceComparer(1e-14));
    }

    [Fact]
    public void AlignedMtl_with_mean_task_weights()
    {
        AssertUpdate(new AlignedMtl(new[] { 0.5, 0.5 }), new[] { 0.2133, 0.9673, 0.9673 });
    }

    [Fact]
    public void AlignedMtl_default_sums_the_aligned_gradients()
    {
        var half = GramSpace.Update(new AlignedMtl(new[] { 0.5, 0.5 }), J);
        AssertUpdate(new AlignedMtl(), new[] { 2 * half[0], 2 * half[1], 2 * half[2] }, 14);
    }

    [Fact]
    public void CAGrad_without_rescale()
    {
        AssertUpdate(new CAGrad(0.5, CAGradRescale.None), new[] { 0.1835, 1.2041, 1.2041 });
    }

    [Fact]
    public void CAGrad_default_rescales_by_one_plus_c_squared()
    {
        AssertUpdate(new CAGrad(), new[] { 0.1835 / 1.25, 1.2041 / 1.25, 1.2041 / 1.25 });
    }

    [Fact]
    public void GradOps_with_two_tasks_and_alpha_zero_is_PCGrad()
    {
        AssertUpdate(new GradOps(), new[] { 0.5848, 3.8012, 3.8012 });
    }

    [Fact]
    public void Mean_and_sum()
    {
        AssertUpdate(new Mean(), new[] { 1.0, 1.0, 1.0 }, 14);
        AssertUpdate(new Sum(), new[] { 2.0, 2.0, 2.0 }, 14);
    }
}
