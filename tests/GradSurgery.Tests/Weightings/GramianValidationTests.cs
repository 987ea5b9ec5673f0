using System;
using Xunit;
using static TorchSharp.torch;

namespace GradSurgery.Tests.Weightings;

/// <summary>A Gramian must be a Gram matrix: symmetric and positive semi-definite, up to round-off.</summary>
public class GramianValidationTests
{
    [Fact]
    public void A_negative_diagonal_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new Gramian(new double[,] { { 1, 0 }, { 0, -1 } }));
        Assert.Equal("values", e.ParamName);
        Assert.StartsWith("The Gramian has a negative diagonal entry -1 at [1, 1]", e.Message);
    }

    [Fact]
    public void A_single_negative_squared_norm_is_named_as_such()
    {
        var e = Assert.Throws<ArgumentException>(() => new Gramian(new double[,] { { -1 } }));
        Assert.StartsWith("The Gramian has a negative diagonal entry -1 at [0, 0]", e.Message);
    }

    [Fact]
    public void A_rank_deficient_block_within_round_off_is_accepted_without_eliminating_past_it()
    {
        // After the first pivot the remaining 2×2 block is all within the round-off allowance (4·10⁻¹⁴):
        // accepted. Eliminating with its pivot 10⁻²⁰ would turn the last entry into −10⁻¹⁰.
        var gramian = new Gramian(new double[,] { { 1, 0, 0 }, { 0, 1e-20, 1e-15 }, { 0, 1e-15, 1e-20 } });
        Assert.Equal(1e-15, gramian[1, 2]);
    }

    [Fact]
    public void The_eigendecomposition_is_computed_once()
    {
        var gramian = new Gramian(new double[,] { { 2, 1 }, { 1, 2 } });
        Assert.False(gramian.HasEigendecomposition);
        Assert.Same(gramian.Eigen, gramian.Eigen);
        Assert.Equal(new[] { 1.0, 3.0 }, gramian.Eigenvalues, new ToleranceComparer(1e-12));
    }

    [Fact]
    public void An_asymmetric_matrix_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new Gramian(new double[,] { { 1, 0.5 }, { -0.5, 1 } }));
        Assert.StartsWith("The Gramian is not symmetric: [0, 1] = 0.5 but [1, 0] = -0.5", e.Message);
    }

    [Theory]
    [InlineData(0.9)]
    [InlineData(2.0)]
    public void A_symmetric_matrix_with_a_negative_eigenvalue_is_rejected(double offDiagonal)
    {
        // With 0.9 every entry passes Cauchy–Schwarz, yet the determinant is −2.888: no gradients have these products.
        var m = new double[,] { { 1, offDiagonal, -offDiagonal }, { offDiagonal, 1, offDiagonal }, { -offDiagonal, offDiagonal, 1 } };
        var e = Assert.Throws<ArgumentException>(() => new Gramian(m));
        Assert.StartsWith("The Gramian is not positive semi-definite", e.Message);
        Assert.Equal("values", e.ParamName);
        Assert.Throws<ArgumentException>(() => new Gramian(new double[,] { { 0, 1 }, { 1, 0 } }));
    }

    [Fact]
    public void Round_off_of_a_float32_gram_is_accepted()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var row = randn(1, 100_000);
        var g = cat(new[] { row, row, row * (1 + 1e-6f), -row }, 0);
        var gramian = GradSurgery.GradientMatrix.ComputeGramian(g);
        Assert.Equal(4, gramian.TaskCount);
        var exact = new double[,] { { 1, 1 + 1e-15 }, { 1 + 1e-15, 1 } };
        Assert.Equal(2, new Gramian(exact).TaskCount);
        Assert.Equal(3, new Gramian(new double[3, 3]).TaskCount);
    }

    [Fact]
    public void Weightings_called_directly_cannot_receive_an_invalid_matrix()
    {
        Assert.Throws<ArgumentException>(() => new Mgda().ComputeWeights(new Gramian(new double[,] { { -1, 0 }, { 0, 1 } })));
    }

    [Fact]
    public void The_round_off_allowance_is_64_T_epsilon_times_the_largest_diagonal()
    {
        // T = 2 in float64: 64·2·2⁻⁵²·1 ≈ 2.84e-14 of asymmetry is allowed, twice that is not.
        const double allowance = 64 * 2 * Gramian.DoublePrecisionEpsilon;
        Assert.Equal(2, new Gramian(new double[,] { { 1, 0.2 }, { 0.2 + (0.7 * allowance), 1 } }).TaskCount);
        Assert.Throws<ArgumentException>(() => new Gramian(new double[,] { { 1, 0.2 }, { 0.2 + (1.4 * allowance), 1 } }));
        Assert.Throws<ArgumentException>(() => new Gramian(new double[,] { { 1, 0 }, { 0, -1.4 * allowance } }));
        Assert.Equal(2, new Gramian(new double[,] { { 1, 0 }, { 0, -0.7 * allowance } }).TaskCount);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void The_relative_precision_must_be_in_zero_to_one(double precision)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Gramian(new double[,] { { 1 } }, precision));
        Assert.Equal("relativePrecision", e.ParamName);
        Assert.Contains("(0, 1)", e.Message);
    }

    [Fact]
    public void Null_matrices_are_rejected()
    {
        Assert.Equal("values", Assert.Throws<ArgumentNullException>(() => new Gramian(null!)).ParamName);
        Assert.Equal("gradients", Assert.Throws<ArgumentNullException>(() => Gramian.FromGradients(null!)).ParamName);
    }
}
