using System;
using System.Linq;
using MathNet.Numerics.LinearAlgebra;
using Xunit;

namespace GradSurgery.Tests.Solvers;

/// <summary>
/// The updated Cholesky factor of Wolfe's corral must give, after any sequence of entering and
/// leaving points, the same affine minimum-norm point as a fresh solve of the bordered system
/// [K_SS 1; 1ᵀ 0]·[α; −ν] = [0; 1].
/// </summary>
public class WolfeCorralTests
{
    private const int Points = 12;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Affine_point_matches_a_fresh_bordered_solve_after_adds_and_removals(int seed)
    {
        var random = new Random(seed);
        var k = RandomGram(random, Points, Points + 4);
        var corral = new WolfeCorral(k);
        var members = new System.Collections.Generic.List<int>();
        for (var step = 0; step < 60; step++)
        {
            var outside = Enumerable.Range(0, Points).Where(i => !members.Contains(i)).ToList();
            if (members.Count > 1 && (outside.Count == 0 || random.NextDouble() < 0.4))
            {
                var position = random.Next(members.Count);
                corral.RemoveAt(position);
                members.RemoveAt(position);
            }
            else
            {
                var point = outside[random.Next(outside.Count)];
                Assert.True(corral.TryAdd(point));
                members.Add(point);
            }
            Assert.Equal(members, corral.Members.Take(corral.Count));
            corral.SolveAffine();
            var expected = BorderedSolve(k, members);
            for (var a = 0; a < members.Count; a++)
                Assert.True(Math.Abs(corral.Affine[a] - expected[a]) <= 1e-9 * (1 + Math.Abs(expected[a])), $"step {step}: α[{a}] = {corral.Affine[a]:R}, expected {expected[a]:R}");
        }
    }

    [Fact]
    public void Refuses_a_point_affinely_dependent_on_the_corral()
    {
        // Points p0 = (1, 0), p1 = (0, 1), p2 = (0.5, 0.5) lie on one line: p2 is affinely dependent.
        var k = new double[,] { { 1, 0, 0.5 }, { 0, 1, 0.5 }, { 0.5, 0.5, 0.5 } };
        var corral = new WolfeCorral(k);
        Assert.True(corral.TryAdd(0));
        Assert.True(corral.TryAdd(1));
        Assert.False(corral.TryAdd(2));
        Assert.Equal(2, corral.Count);
    }

    [Fact]
    public void Refuses_a_member_of_the_corral()
    {
        // MinimumNormPoint relies on this to stop when the most violating point is already in the corral,
        // also after removals (the factor is then rotated, not refactored).
        var k = RandomGram(new Random(4), 5, 8);
        var corral = new WolfeCorral(k);
        foreach (var point in new[] { 0, 1, 2, 3 })
            Assert.True(corral.TryAdd(point));
        corral.RemoveAt(1);
        foreach (var member in new[] { 0, 2, 3 })
            Assert.False(corral.TryAdd(member));
        Assert.Equal(new[] { 0, 2, 3 }, corral.Members.Take(corral.Count));
        Assert.True(corral.TryAdd(1));
    }

    [Theory]
    [InlineData(5e-6, false)]
    [InlineData(1e-5, true)]
    public void Refuses_a_point_whose_pivot_is_below_1e_12_of_its_diagonal(double epsilon, bool accepted)
    {
        // p0 = (1, 1), p1 = (−1, 1), p2 = (5, 1 − ε) = 3p0 − 2p1 − (0, ε), scaled by max Kᵢᵢ = 26 + O(ε):
        // p2's new pivot ρ² is the squared distance of (1, p2) from the span of (1, p0) and (1, p1),
        // ε²/27 (0.93e-12 and 3.7e-12 here), against 1e-12 times its diagonal 1 + K₂₂ ≈ 2.
        var points = new[] { new[] { 1.0, 1 }, new[] { -1.0, 1 }, new[] { 5, 1 - epsilon } };
        var scale = 25 + ((1 - epsilon) * (1 - epsilon));
        var k = new double[3, 3];
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 3; j++)
                k[i, j] = ((points[i][0] * points[j][0]) + (points[i][1] * points[j][1])) / scale;
        }
        var corral = new WolfeCorral(k);
        Assert.True(corral.TryAdd(0));
        Assert.True(corral.TryAdd(1));

        Assert.Equal(accepted, corral.TryAdd(2));
        Assert.Equal(accepted ? 3 : 2, corral.Count);
    }

    private static double[,] RandomGram(Random random, int n, int dimension)
    {
        var g = Matrix<double>.Build.Dense(n, dimension, (_, _) => random.NextDouble() - 0.5);
        var gram = (g * g.Transpose()).ToArray();
        var scale = Enumerable.Range(0, n).Max(i => gram[i, i]);
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
                gram[i, j] /= scale;
        }
        return gram;
    }

    private static double[] BorderedSolve(double[,] k, System.Collections.Generic.IReadOnlyList<int> members)
    {
        var m = members.Count;
        var a = Matrix<double>.Build.Dense(m + 1, m + 1);
        var b = Vector<double>.Build.Dense(m + 1);
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < m; j++)
                a[i, j] = k[members[i], members[j]];
            a[i, m] = 1;
            a[m, i] = 1;
        }
        b[m] = 1;
        return a.Solve(b).Take(m).ToArray();
    }
}
