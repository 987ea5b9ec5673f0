using System;
using Xunit;

namespace GradSurgery.Tests.Weightings;

public class HyperParameterValidationTests
{
    [Theory]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void CAGrad_rejects_c_outside_zero_to_infinity(double c)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new CAGrad(c));
        Assert.Equal("c", e.ParamName);
        Assert.Contains("≥ 0", e.Message);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.NegativeInfinity)]
    public void GradOps_rejects_non_finite_alpha(double alpha)
    {
        Assert.Equal("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => new GradOps(alpha)).ParamName);
    }

    [Fact]
    public void AlignedMtl_rejects_negative_or_missing_task_weights()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AlignedMtl(new[] { 1.0, -1.0 }));
        Assert.Throws<ArgumentException>(() => new AlignedMtl(Array.Empty<double>()));
        var e = Assert.Throws<ArgumentException>(() => new AlignedMtl(new[] { 1.0, 1.0 }).ComputeWeights(Gramian.FromGradients(GradientCases.Random(3, 1))));
        Assert.Contains("2 task weights for 3 tasks", e.Message);
    }

    [Fact]
    public void Enums_outside_their_range_are_rejected_with_the_allowed_names_of_the_enum()
    {
        void AssertRejected(Action create, string parameter, string allowed)
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(create);
            Assert.Equal(parameter, e.ParamName);
            Assert.Contains(allowed, e.Message);
        }

        AssertRejected(() => new PCGrad((PCGradReduction)7), "reduction", "Allowed PCGradReduction values: Sum, Mean.");
        AssertRejected(() => new PCGrad(order: (PCGradTaskOrder)7), "order", "Allowed PCGradTaskOrder values: Random, Fixed.");
        AssertRejected(() => new CAGrad(0.5, (CAGradRescale)7), "rescale", "Allowed CAGradRescale values: None, OnePlusCSquared, OnePlusC.");
        AssertRejected(() => new AlignedMtl(null, (AlignedMtlScale)7), "scale", "Allowed AlignedMtlScale values: Min, Median, Mean.");
        AssertRejected(() => _ = new GradientSurgeryOptions { NonFinite = (NonFiniteGradientPolicy)7 }, "NonFinite", "Allowed NonFiniteGradientPolicy values: Throw, SkipStep.");
    }

    [Fact]
    public void Every_method_rejects_a_null_gramian()
    {
        foreach (var weighting in WeightingCatalog.CreateAll(seed: 1))
            Assert.Equal("gramian", Assert.Throws<ArgumentNullException>(() => weighting.ComputeWeights(null!)).ParamName);
    }

    [Fact]
    public void Gramian_rejects_non_square_and_non_finite_matrices()
    {
        Assert.Contains("square", Assert.Throws<ArgumentException>(() => new Gramian(new double[2, 3])).Message);
        Assert.Contains("non-empty", Assert.Throws<ArgumentException>(() => new Gramian(new double[0, 0])).Message);
        Assert.Contains("non-finite", Assert.Throws<ArgumentException>(() => new Gramian(new[,] { { 1, double.NaN }, { 0, 1 } })).Message);
    }

    [Fact]
    public void CAGrad_c_zero_is_the_mean_and_rescale_options_scale_it()
    {
        var g = GradientCases.Conflicting(3, 1);
        GramSpace.AssertClose(GramSpace.Update(new Mean(), g), GramSpace.Update(new CAGrad(0), g), 1e-14, GramSpace.Scale(g), "c=0");
        var none = GramSpace.Update(new CAGrad(0.4, CAGradRescale.None), g);
        var onePlusC = GramSpace.Update(new CAGrad(0.4, CAGradRescale.OnePlusC), g);
        GramSpace.AssertClose(Array.ConvertAll(none, v => v / 1.4), onePlusC, 1e-14, GramSpace.Scale(g), "1+c");
    }
}
