using System;
using System.Linq;
using GradSurgery.Tests.Literal;
using Xunit;

namespace GradSurgery.Tests.Weightings;

/// <summary>
/// The branches a method takes only on degenerate input, each observed on an input that reaches it and
/// where its answer differs from what the ordinary branch would give (so removing or moving the
/// branch fails a test), plus the argument contracts (null, out of range) with their messages.
/// </summary>
public class DegenerateFallbackTests
{
    /// <summary>
    /// Two almost opposite gradients, given by their Gram s·[[1 + e, e − 1], [e − 1, 1 + e]] with e a power
    /// of two and s = 2²⁰, so every product below is exact: the dual optimum is w = (½, ½) with
    /// ‖g_w‖ = √(s·e) and the largest norm √(s(1 + e)). CAGrad treats ‖g_w‖ below 1e-7 of the largest norm
    /// as zero (then d is g₀ projected onto the non-conflicting cone, here g₀ itself: weights ½) and
    /// uses the formula above it (d = g₀ + c‖g₀‖·g_w/‖g_w‖ = (1 + c)·g₀: weights (1 + c)/2).
    /// </summary>
    [Theory]
    [InlineData(-47, 0.5)] // ‖g_w‖ / largest norm = 2^-23.5 ≈ 8.4e-8: zero
    [InlineData(-45, 0.75)] // 2^-22.5 ≈ 1.7e-7: the formula
    public void CAGrad_switches_to_the_cone_projection_when_the_dual_gradient_vanishes(int exponent, double expected)
    {
        var e = Math.ScaleB(1, exponent);
        var s = Math.ScaleB(1, 20);
        var gramian = new Gramian(new[,] { { s * (1 + e), s * (e - 1) }, { s * (e - 1), s * (1 + e) } });
        var w = new CAGrad(0.5, CAGradRescale.None).ComputeWeights(gramian);
        Assert.Equal(expected, w[0], 6);
        Assert.Equal(expected, w[1], 6);
    }

    /// <summary>
    /// Three gradients in the plane at 120° of lengths 1, 2, 3: each conflicts with both others, whose
    /// span is the whole plane, so every g′ᵢ is zero and GradOPS falls back to MGDA's min-norm point.
    /// The origin is in their hull: w ∝ 1/lengths = (6, 3, 2)/11 and the update is 0.
    /// </summary>
    [Theory]
    [InlineData(0.0)]
    [InlineData(2.0)]
    [InlineData(-1.0)]
    public void GradOps_falls_back_to_MGDA_when_every_projection_vanishes(double alpha)
    {
        var gradients = new double[3, 2];
        for (var i = 0; i < 3; i++)
        {
            var angle = 2 * Math.PI * i / 3;
            gradients[i, 0] = (i + 1) * Math.Cos(angle);
            gradients[i, 1] = (i + 1) * Math.Sin(angle);
        }
        var gramian = Gramian.FromGradients(gradients);
        var w = new GradOps(alpha).ComputeWeights(gramian);
        Assert.Equal(6.0 / 11, w[0], 10);
        Assert.Equal(3.0 / 11, w[1], 10);
        Assert.Equal(2.0 / 11, w[2], 10);
        Assert.Equal(new Mgda().ComputeWeights(gramian), w);
        Assert.True(Vectors.MaxAbs(GramSpace.Update(new GradOps(alpha), gradients)) < 1e-12);
    }

    /// <summary>All-zero gradients: Aligned-MTL keeps B = I, so the weights are the task weights (a zero update, not NaN).</summary>
    [Fact]
    public void AlignedMtl_uses_the_identity_for_all_zero_gradients()
    {
        var zero = new Gramian(new double[3, 3]);
        Assert.Equal(new[] { 1.0, 1.0, 1.0 }, new AlignedMtl().ComputeWeights(zero));
        Assert.Equal(new[] { 2.0, 0.0, 0.5 }, new AlignedMtl(new[] { 2.0, 0.0, 0.5 }).ComputeWeights(zero));
        var b = new AlignedMtl().BalanceTransformation(zero);
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 3; j++)
                Assert.Equal(i == j ? 1.0 : 0.0, b[i, j]);
        }
    }

    /// <summary>A task weight of exactly 0 is allowed (the task is left out of the sum), and so is −0.</summary>
    [Fact]
    public void AlignedMtl_accepts_a_task_weight_of_zero()
    {
        var gradients = GradientCases.Conflicting(3, 4);
        var gramian = Gramian.FromGradients(gradients);
        var weighted = new AlignedMtl(new[] { 0.0, 1.0, -0.0 });
        var b = weighted.BalanceTransformation(gramian);
        var w = weighted.ComputeWeights(gramian);
        for (var i = 0; i < 3; i++)
            Assert.Equal(b[i, 1], w[i], 14);
        Assert.True(w.Any(x => Math.Abs(x) > 1e-3), "the kept task contributes");
    }

    [Theory]
    [InlineData(-1e-300)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void AlignedMtl_names_the_offending_task_weight(double bad)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new AlignedMtl(new[] { 1.0, bad }));
        Assert.Equal("taskWeights", e.ParamName);
        Assert.Contains("Task weight 1 must be finite and ≥ 0.", e.Message);
    }

    [Fact]
    public void Argument_messages_say_what_is_wrong()
    {
        Assert.Contains("one entry per task; got none", Assert.Throws<ArgumentException>(() => new AlignedMtl(Array.Empty<double>())).Message);
        Assert.Contains("finite real number", Assert.Throws<ArgumentOutOfRangeException>(() => new GradOps(double.NaN)).Message);
        Assert.Contains("must be finite and ≥ 0", Assert.Throws<ArgumentOutOfRangeException>(() => new CAGrad(-1)).Message);
        Assert.Contains("must be finite and ≥ 0", Assert.Throws<ArgumentOutOfRangeException>(() => new CAGrad(double.PositiveInfinity)).Message);
    }

    /// <summary>Methods outside the catalogue and the internal entry points reject a null Gramian too.</summary>
    [Fact]
    public void Every_entry_point_rejects_a_null_gramian()
    {
        void AssertNull(Action call) => Assert.Equal("gramian", Assert.Throws<ArgumentNullException>(call).ParamName);

        AssertNull(() => new Krum(0).ComputeWeights(null!));
        AssertNull(() => new Constant(new[] { 1.0, 2.0 }).ComputeWeights(null!));
        AssertNull(() => new CRMogm(new Mgda()).ComputeWeights(null!));
        AssertNull(() => new CAGrad().DualWeights(null!));
        AssertNull(() => new AlignedMtl().BalanceTransformation(null!));
        AssertNull(() => GradOps.DeconflictedCoefficients(null!));
        Assert.Equal("inner", Assert.Throws<ArgumentNullException>(() => new CRMogm(null!)).ParamName);
    }
}
