using System;
using System.Collections.Generic;
using System.Linq;
using GradSurgery.Tests.Literal;
using Xunit;
using static GradSurgery.Tests.Literal.Vectors;

namespace GradSurgery.Tests.Weightings;

/// <summary>UPGrad and DualProj (Quinton &amp; Rey 2024): hand-worked values, a literal parameter-space version, and non-conflict.</summary>
public class DualConeMethodTests
{
    public static IEnumerable<object[]> SmallCases() => GradientCases.All().Where(c => ((double[,])c[1]).GetLength(0) <= 8);

    private static IGramianWeighting[] Methods(double epsilon) => [new UPGrad(epsilon), new DualProj(epsilon)];

    /// <summary>
    /// The references' regularised problem in parameter space: rows g̃ᵢ = (gᵢ/√tr, √ε·eᵢ) have Gram matrix
    /// M/tr + εI, so projecting onto their dual cone (brute force over active sets) is the regularised
    /// projection; the update is √tr times the first P coordinates of the result.
    /// </summary>
    private static double[] Literal(string method, double[,] gradients, double epsilon)
    {
        var g = Rows(gradients);
        var t = g.Length;
        var trace = g.Sum(gi => Dot(gi, gi));
        if (trace == 0)
            return new double[g[0].Length];
        var augmented = g.Select((gi, i) => Scale(gi, 1 / Math.Sqrt(trace)).Concat(Enumerable.Range(0, t).Select(k => k == i ? Math.Sqrt(epsilon) : 0)).ToArray()).ToArray();
        var targets = method == "UPGrad"
            ? Enumerable.Range(0, t).Select(i => Scale(augmented[i], 1.0 / t))
            : [Combine(augmented, Enumerable.Repeat(1.0 / t, t).ToArray())];
        var sum = new double[augmented[0].Length];
        foreach (var x in targets)
            sum = Add(sum, LiteralConeProjection.Project(augmented, x));
        return Scale(sum.Take(g[0].Length).ToArray(), Math.Sqrt(trace));
    }

    [Theory]
    [MemberData(nameof(SmallCases))]
    public void Equals_the_literal_regularised_projection(string name, double[,] gradients)
    {
        foreach (var epsilon in new[] { 0, UPGrad.DefaultRegularization, 0.1 })
        {
            foreach (var method in Methods(epsilon))
                GramSpace.AssertClose(Literal(method.Name, gradients, epsilon), GramSpace.Update(method, gradients), 1e-9, GramSpace.Scale(gradients), $"{method.Name} ε={epsilon} {name}");
        }
    }

    [Theory]
    [MemberData(nameof(SmallCases))]
    public void Exact_projections_never_conflict_with_any_task(string name, double[,] gradients)
    {
        foreach (var method in Methods(0))
        {
            var d = GramSpace.Update(method, gradients);
            foreach (var (gj, j) in Rows(gradients).Select((gj, j) => (gj, j)))
                Assert.True(Dot(d, gj) >= -1e-9 * GramSpace.Scale(gradients) * GramSpace.Scale(gradients), $"{method.Name} {name}: conflicts with task {j}");
        }
    }

    [Fact]
    public void Two_opposite_gradients_give_the_references_weights()
    {
        // M/tr + εI = [[½+ε, −½], [−½, ½+ε]]; projecting e₁/2: x₂ = ½/(1+2ε), x₁ = ½ stays at its bound.
        var gramian = Gramian.FromGradients(new double[,] { { 1, 0 }, { -1, 0 } });
        const double epsilon = UPGrad.DefaultRegularization;
        var expected = 0.5 + (0.5 / (1 + (2 * epsilon)));
        Assert.Equal(new[] { expected, expected }, new UPGrad().ComputeWeights(gramian), new ToleranceComparer(1e-15));
        Assert.Equal(0.9999, expected, 4);
        // DualProj: the mean (0) is already in the cone {d₁ = 0}.
        Assert.Equal(new[] { 0.5, 0.5 }, new DualProj().ComputeWeights(gramian), new ToleranceComparer(1e-15));
        Assert.Equal(new[] { 1.0, 1.0 }, new UPGrad(0).ComputeWeights(gramian), new ToleranceComparer(1e-15));
    }

    [Fact]
    public void Without_conflict_both_are_the_mean()
    {
        var gradients = new double[,] { { 1, 0, 0 }, { 1, 1, 0 }, { 0, 1, 2 } };
        foreach (var method in Methods(UPGrad.DefaultRegularization))
            Assert.Equal(new[] { 1.0 / 3, 1.0 / 3, 1.0 / 3 }, method.ComputeWeights(Gramian.FromGradients(gradients)), new ToleranceComparer(1e-15));
    }

    [Fact]
    public void All_zero_gradients_take_the_mean_weights()
    {
        foreach (var method in Methods(UPGrad.DefaultRegularization))
            Assert.Equal(new[] { 0.5, 0.5 }, method.ComputeWeights(new Gramian(new double[2, 2])));
    }

    [Theory]
    [InlineData(-1e-3)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Regularization_outside_zero_to_infinity_is_rejected(double epsilon)
    {
        Assert.Equal("regularization", Assert.Throws<ArgumentOutOfRangeException>(() => new UPGrad(epsilon)).ParamName);
        Assert.Contains("finite and ≥ 0", Assert.Throws<ArgumentOutOfRangeException>(() => new DualProj(epsilon)).Message);
    }
}
