using System;
using Xunit;

namespace GradSurgery.Tests.Solvers;

/// <summary>
/// The α-fair root solver (Nash-MTL, FairGrad) in its parts: the start, the regularisation that keeps
/// Pareto-stationary inputs finite, the objective, and the line search on its own (internal seams).
/// The weightings' tests check the root itself against the references.
/// </summary>
public class AlphaFairSystemTests
{
    [Theory]
    [InlineData(0.5, 1.0)]
    [InlineData(1.0, 1.0)]
    [InlineData(1.0, 4.0)]
    [InlineData(2.0, 1.0)]
    public void Opposite_gradients_get_the_regularised_root(double alpha, double scale)
    {
        // M = s·[[1, −1], [−1, 1]] has no root (its stationary combination is 𝟙); with ε = 1e-12 times
        // the mean diagonal s added to the diagonal, (M + εs·I)·c𝟙 = εs·c𝟙 = c^(−1/α)𝟙 gives
        // c = (εs)^(−α/(α+1)): 1e4, 1e6, 5e5, 1e8 here. M·w cancels to εs·c, so round-off in M's entries
        // (1 ulp of 1 is 2e-4 of ε) sets the accuracy: 1e-3 relative.
        var m = new[,] { { scale, -scale }, { -scale, scale } };
        var w = AlphaFairSystem.Solve(m, alpha, out _);

        var expected = Math.Pow(AlphaFairSystem.Regularization * scale, -alpha / (alpha + 1));
        Assert.All(w, x => Assert.InRange(x / expected, 1 - 1e-3, 1 + 1e-3));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(1.0)]
    [InlineData(3.0)]
    public void Starts_at_the_best_multiple_of_one_and_stops_there_when_it_is_the_root(double alpha)
    {
        // Equal row sums: M·c𝟙 = 3c𝟙 = c^(−1/α)𝟙 at c = 3^(−α/(α+1)), the start (n/𝟙ᵀA𝟙)^(α/(α+1)) rescaled.
        var m = new double[,] { { 2, 1 }, { 1, 2 } };
        var w = AlphaFairSystem.Solve(m, alpha, out var iterations);

        Assert.Equal(0, iterations);
        Assert.All(w, x => Assert.Equal(Math.Pow(3, -alpha / (alpha + 1)), x, 9));
    }

    [Theory]
    [InlineData(1.0, 9 - 0.69314718055994531)] // ½wᵀAw − log 1 − log 2
    [InlineData(2.0, 9 - (2 * (1 + 1.4142135623730951)))] // h(w) = 2√w
    [InlineData(0.5, 9 + 1.5)] // h(w) = −1/w
    public void Objective_is_half_the_quadratic_form_less_the_fairness_utilities(double alpha, double expected)
    {
        // A = [[2, 1], [1, 3]], w = (1, 2): wᵀAw = 18.
        var a = new double[,] { { 2, 1 }, { 1, 3 } };

        Assert.Equal(expected, AlphaFairSystem.Objective(a, alpha, [1, 2]), 14);
    }

    [Fact]
    public void Inside_the_quadratic_region_the_full_step_is_taken()
    {
        var w = new[] { 1.0, 1 };
        Assert.True(AlphaFairSystem.TakeStep(Identity, 1, w, [0.1, -0.1], 0.01, new double[2]));
        Assert.Equal(new[] { 1.1, 0.9 }, w);
    }

    [Fact]
    public void A_step_that_would_leave_the_positive_orthant_is_halved_until_every_weight_is_positive()
    {
        // t = 1 puts w₀ at exactly 0 (not positive), t = ½ at 0.5: taken, although inside the quadratic
        // region no objective is compared.
        var w = new[] { 1.0, 1 };
        Assert.True(AlphaFairSystem.TakeStep(Identity, 1, w, [-1, 0], 0.01, new double[2]));
        Assert.Equal(new[] { 0.5, 1 }, w);
    }

    [Fact]
    public void Outside_the_quadratic_region_a_step_is_halved_until_Armijos_decrease_holds()
    {
        // 1-D, A = 1, α = 1: f(w) = ½w² − log w. From w = 0.1 (f = 2.3076) a step of 5 with decrement 1:
        // t = 1 → 5.1 (f = 11.38) and t = ½ → 2.6 (f = 2.425) do not fall below f − ¼·t; t = ¼ → 1.35
        // (f = 0.611) does.
        var a = new double[,] { { 1 } };
        var w = new[] { 0.1 };
        Assert.True(AlphaFairSystem.TakeStep(a, 1, w, [5], 1, new double[1]));
        Assert.Equal(1.35, w[0], 15);
    }

    [Fact]
    public void A_step_below_the_resolution_of_w_or_one_that_never_stays_positive_is_refused()
    {
        var w = new[] { 1.0, 2 };
        Assert.False(AlphaFairSystem.TakeStep(Identity, 1, w, [1e-20, 0], 1, new double[2]));
        Assert.Equal(new[] { 1.0, 2 }, w);
        // −1e30 stays below −w even after the last of the 60 halvings (t = 2⁻⁵⁹).
        Assert.False(AlphaFairSystem.TakeStep(Identity, 1, w, [-1e30, 0], 1, new double[2]));
        Assert.Equal(new[] { 1.0, 2 }, w);
    }

    private static double[,] Identity => new double[,] { { 1, 0 }, { 0, 1 } };
}
