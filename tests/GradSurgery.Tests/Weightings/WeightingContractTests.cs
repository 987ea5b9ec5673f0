using System;
using System.Linq;
using GradSurgery.Tests.Properties;
using Xunit;

namespace GradSurgery.Tests.Weightings;

/// <summary>
/// Contracts and boundaries that the mutation run of the Weightings folder found untested: argument
/// checks that a later line would have masked with a different parameter name, the random draws of RLW
/// against a literal Box–Muller, the softmax's shift, GradVac's β = 1 and its guard at a target cosine of
/// 1, IMTL-G's and Nash-MTL's degenerate cases at extreme scales.
/// </summary>
public class WeightingContractTests
{
    [Fact]
    public void Null_arguments_are_named_by_the_check_not_by_a_later_call()
    {
        // Without their own checks, LINQ's ToArray and the name normalisation would throw with another parameter name.
        Assert.Equal("weights", Assert.Throws<ArgumentNullException>(() => new Constant(null!)).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentNullException>(() => WeightingCatalog.Create(null!)).ParamName);
    }

    [Fact]
    public void CR_MOGM_rejects_a_null_Gramian_before_calling_the_inner_weighting()
    {
        var inner = new RecordingWeighting();
        var crmogm = new CRMogm(inner);
        Assert.Equal("gramian", Assert.Throws<ArgumentNullException>(() => crmogm.ComputeWeights(null!)).ParamName);
        Assert.Equal(0, inner.Calls);
    }

    [Fact]
    public void Methods_outside_the_catalogue_report_their_names()
    {
        Assert.Equal("Constant", new Constant(new[] { 1.0 }).Name);
        Assert.Equal("Krum", new Krum(1).Name);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 5)]
    [InlineData(42, 16)]
    public void RLW_draws_are_the_softmax_of_Box_Muller_normals_of_the_seeded_generator(int seed, int count)
    {
        // z = √(−2 ln(1 − u₁))·cos(2π u₂), two generator values per weight, then softmax.
        var reference = new Random(seed);
        var z = new double[count];
        for (var i = 0; i < count; i++)
        {
            var u1 = reference.NextDouble();
            var u2 = reference.NextDouble();
            z[i] = Math.Sqrt(-2 * Math.Log(1 - u1)) * Math.Cos(2 * Math.PI * u2);
        }
        var expected = z.Select(Math.Exp).ToArray();
        var sum = expected.Sum();

        var random = new Random(seed);
        var drawn = GaussianSoftmax.Draw(random, count);

        for (var i = 0; i < count; i++)
            Assert.Equal(expected[i] / sum, drawn[i], 14);
        // The draw consumed exactly ValuesPerDraw values: both generators continue alike.
        Assert.Equal(2L * count, GaussianSoftmax.ValuesPerDraw(count));
        Assert.Equal(reference.NextDouble(), random.NextDouble());
    }

    [Fact]
    public void Softmax_of_large_values_is_shifted_so_that_nothing_overflows()
    {
        // exp(1000) overflows a double; shifted by the largest value the answer is finite and exact.
        var p = StableSoftmax.Of(new[] { 1000.0, 999, -1000 });
        var e = Math.Exp(-1);
        Assert.Equal(1 / (1 + e), p[0], 15);
        Assert.Equal(e / (1 + e), p[1], 15);
        Assert.Equal(0, p[2], 15);
    }

    [Fact]
    public void GradVac_accepts_beta_one_and_skips_the_adjustment_while_a_target_cosine_is_one()
    {
        // β = 1: each target becomes the last cosine. Two equal gradients set the targets to exactly 1
        // (cos = K₀₁/(√K₀₀·√K₁₁) = 4/(2·2) = 1 exactly); the next call's conflicting pair has cos < 1 = φ̂, where the
        // adjustment would divide by √(1 − φ̂²) = 0: it is skipped and the update is the plain sum.
        var gradvac = new GradVac(beta: 1, order: PCGradTaskOrder.Fixed);
        gradvac.ComputeWeights(new Gramian(new[,] { { 4.0, 4 }, { 4, 4 } }));
        Assert.Equal(1, gradvac.TargetCosines![0, 1]);

        var w = gradvac.ComputeWeights(new Gramian(new[,] { { 1.0, -0.5 }, { -0.5, 1 } }));

        Assert.Equal(new[] { 1.0, 1 }, w);
        Assert.Equal(-0.5, gradvac.TargetCosines![0, 1], 15);
    }

    [Theory]
    [InlineData(1e-8)]
    [InlineData(1e8)]
    public void IMTL_G_weights_do_not_change_when_every_gradient_is_scaled(double factor)
    {
        // The weights sum to 1 and are invariant under g ↦ s·g; the test that declares Σv zero is
        // relative to the size of v's terms (which scale as 1/s), not absolute.
        var gradients = GradientCases.Random(3, 11);
        var scaled = SuiteCases.Scaled(gradients, factor);
        var expected = new ImtlG().ComputeWeights(Gramian.FromGradients(gradients));
        var actual = new ImtlG().ComputeWeights(Gramian.FromGradients(scaled));
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], actual[i], 9);
        Assert.Equal(1, actual.Sum(), 12);
    }

    [Fact]
    public void Nash_MTL_gives_zero_weights_for_all_zero_gradients()
    {
        // ‖M‖_F = 0: there is nothing to normalise by and nothing to move along.
        Assert.Equal(new double[3], new NashMtl().ComputeWeights(new Gramian(new double[3, 3])));
    }

    /// <summary>An inner weighting that counts its calls (equal weights).</summary>
    private sealed class RecordingWeighting : IGramianWeighting
    {
        public int Calls { get; private set; }

        public string Name => "Recording";

        public double[] ComputeWeights(Gramian gramian)
        {
            Calls++;
            return Enumerable.Repeat(1.0 / gramian.TaskCount, gramian.TaskCount).ToArray();
        }
    }
}
