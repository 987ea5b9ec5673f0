using System;
using Xunit;

namespace GradSurgery.Tests.Solvers;

/// <summary>The small dense SPD solve the solvers share: exact on a hand-worked system, on a block picked by indices, and its relative pivot test.</summary>
public class CholeskyTests
{
    [Fact]
    public void Solves_a_hand_worked_system_reading_only_the_lower_triangle()
    {
        // A = L·Lᵀ with L = [[2, 0, 0], [1, 2, 0], [0, 1, 2]]; x = (1, −1, 2) gives b = (2, 1, 8).
        // The upper triangle holds garbage: it must not be read.
        var a = new double[,] { { 4, 999, -999 }, { 2, 5, 999 }, { 0, 2, 5 } };
        double[] b = [2, 1, 8];
        var x = Cholesky.TrySolve(a, b, 0);

        Assert.NotNull(x);
        Assert.Equal(1, x[0], 14);
        Assert.Equal(-1, x[1], 14);
        Assert.Equal(2, x[2], 14);
        Assert.Equal(new double[] { 2, 1, 8 }, b);
    }

    [Fact]
    public void Factors_the_block_on_the_given_indices_in_their_order_and_solves_with_it()
    {
        // Rows and columns (2, 0) of A: the block [[5, 2], [2, 4]] (A[2,2], A[2,0]; A[0,2], A[0,0]) = L·Lᵀ with
        // L = [[√5, 0], [2/√5, √(4 − 4/5)]]. Row and column 1 are garbage and must not be read; the block
        // solve of [[5, 2], [2, 4]]·x = (9, 10) is x = (1, 2).
        var a = new double[,] { { 4, 999, 2 }, { 999, 999, 999 }, { 2, 999, 5 } };
        var factor = new double[3, 3];
        factor[0, 1] = -7;

        Assert.True(Cholesky.TryFactor(a, [2, 0, 1], 2, 0, factor));
        Assert.Equal(Math.Sqrt(5), factor[0, 0], 15);
        Assert.Equal(2 / Math.Sqrt(5), factor[1, 0], 15);
        Assert.Equal(Math.Sqrt(4 - 0.8), factor[1, 1], 15);
        Assert.Equal(-7, factor[0, 1]);
        Assert.Equal(0, factor[2, 2]);

        double[] x = [9, 10, 123];
        Cholesky.SolveInPlace(factor, 2, x);
        Assert.Equal(1, x[0], 14);
        Assert.Equal(2, x[1], 14);
        Assert.Equal(123, x[2]);
    }

    [Fact]
    public void A_block_that_is_singular_fails_while_the_whole_matrix_need_not_be_read()
    {
        // Rows (0, 2) of A form [[1, 1], [1, 1]]; A as a whole is never factored.
        var a = new double[,] { { 1, 0, 1 }, { 0, 3, 0 }, { 1, 0, 1 } };

        Assert.False(Cholesky.TryFactor(a, [0, 2], 2, 0, new double[2, 2]));
        Assert.True(Cholesky.TryFactor(a, [0, 1], 2, 0, new double[2, 2]));
    }

    [Fact]
    public void An_exactly_singular_matrix_fails_even_with_a_zero_pivot_tolerance()
    {
        // [[1, 1], [1, 1]]: the second squared pivot is 1 − 1 = 0, which is not above 0·A₁₁.
        Assert.Null(Cholesky.TrySolve(new double[,] { { 1, 1 }, { 1, 1 } }, [1, 1], 0));
    }

    [Theory]
    [InlineData(0.1, false)]
    [InlineData(0.09, true)]
    public void The_pivot_tolerance_is_relative_to_the_diagonal_entry(double singularPivot, bool solved)
    {
        // [[4, 3.8], [3.8, 4]]: the second squared pivot is 4 − 1.9² = 0.39, 0.0975 of its diagonal entry 4.
        var x = Cholesky.TrySolve(new double[,] { { 4, 3.8 }, { 3.8, 4 } }, [1, 1], singularPivot);

        Assert.Equal(solved, x is not null);
    }
}
