using Xunit;

namespace GradSurgery.Tests.Solvers;

/// <summary>The small dense SPD solve the solvers share: exact on a hand-worked system, and its relative pivot test.</summary>
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
