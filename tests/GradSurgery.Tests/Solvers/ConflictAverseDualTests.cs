using System;
using System.Collections.Generic;
using System.Linq;
using GradSurgery.Tests.Literal;
using GradSurgery.Tests.Weightings;
using Xunit;
using static GradSurgery.Tests.Literal.Vectors;

namespace GradSurgery.Tests.Solvers;

/// <summary>
/// The two halves of CAGrad's dual solver, each on its own: the closed-form active-set search
/// (<see cref="ConflictAverseSupport"/>) and the exact bracket-and-Brent search of
/// <see cref="ConflictAverseDual"/> with the closed form switched off. Each is checked against the
/// other, against the KKT conditions of F(w) = g_w·g₀ + ρ‖g_w‖ and against a generic simplex
/// minimiser in parameter space; so a mistake in one half can no longer hide behind the other.
/// </summary>
public class ConflictAverseDualTests
{
    private static readonly double[] Radii = [0.1, 0.5, 1.0, 3.0];

    /// <summary>Random, rank-deficient, dominated, nearly collinear, zero-row and badly scaled gradient sets, T = 2 … 8.</summary>
    public static IEnumerable<object[]> Cases()
    {
        foreach (var (name, gradients) in Inputs())
        {
            foreach (var c in Radii)
                yield return new object[] { $"{name}, c={c}", gradients, c };
        }
    }

    private static IEnumerable<(string Name, double[,] Gradients)> Inputs()
    {
        foreach (var t in new[] { 2, 3, 4, 5, 8 })
        {
            yield return ($"random T={t}", GradientCases.Random(t, 11));
            yield return ($"conflicting T={t}", GradientCases.Conflicting(t, 12));
            yield return ($"dominating T={t}", GradientCases.Dominating(t, 13));
            yield return ($"rank-deficient T={t}", GradientCases.RankDeficient(t, 14));
            yield return ($"T={t} in 2 dimensions", GradientCases.Random(t, 15, p: 2));
            yield return ($"T={t} in 3 dimensions", GradientCases.Random(t, 16, p: 3));
        }
        foreach (var t in new[] { 2, 3, 4 })
            yield return ($"nearly collinear T={t}", GradientCases.NearlyCollinear(t, 17));
        yield return ("zero row T=4", GradientCases.WithZeroRow(4, 18));
        yield return ("random T=4 times 1e-8", Scaled(GradientCases.Random(4, 19), 1e-8));
        yield return ("random T=4 times 1e8", Scaled(GradientCases.Random(4, 19), 1e8));
    }

    /// <summary>
    /// With the closed form off, the bracket and Brent's search alone reach the optimum: the KKT
    /// conditions hold, and F is no higher than a generic simplex minimiser's (small T).
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void The_search_alone_is_optimal(string name, double[,] gradients, double c)
    {
        var (m, rho) = Problem(gradients, c);
        var w = ConflictAverseDual.Solve(m, rho, useClosedForm: false, out var route);
        Assert.True(route is ConflictAverseRoute.BracketEnd or ConflictAverseRoute.RootSearch, $"{name}: {route}");
        AssertOptimal(name, gradients, c, w);
    }

    /// <summary>Brent's search is where the search alone ends in most cases: it is exercised, not a dead branch.</summary>
    [Fact]
    public void The_search_alone_mostly_ends_in_the_root_search()
    {
        var routes = Cases().Select(args =>
        {
            var (m, rho) = Problem((double[,])args[1], (double)args[2]);
            ConflictAverseDual.Solve(m, rho, useClosedForm: false, out var route);
            return route;
        }).ToList();
        Assert.True(routes.Count(r => r == ConflictAverseRoute.RootSearch) > routes.Count / 2, string.Join(", ", routes.GroupBy(r => r).Select(g => $"{g.Key}: {g.Count()}")));
    }

    /// <summary>
    /// The closed form alone, from all tasks, either declines (null) or returns the optimum: the same F
    /// as the exact search, KKT satisfied. (It declines where a step has no r &gt; 0 on its support,
    /// e.g. on all tasks for a small radius, where β² − α(γ − ρ²) ≤ 0.)
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void The_closed_form_alone_is_optimal_or_declines(string name, double[,] gradients, double c)
    {
        var (m, rho) = Problem(gradients, c);
        var (k, b, normalisedRho) = Normalised(m, rho);
        var w = ConflictAverseSupport.TrySolve(k, b, normalisedRho, null);
        if (w is null)
            return;
        Assert.Equal(1.0, w.Sum(), 12);
        AssertOptimal(name, gradients, c, w);
        var search = ConflictAverseDual.Solve(m, rho, useClosedForm: false, out _);
        var scale = GramSpace.Scale(gradients);
        Assert.True(Math.Abs(F(gradients, c, w) - F(gradients, c, search)) <= 1e-10 * scale * scale, $"{name}: closed form and search disagree");
    }

    /// <summary>The closed form is the usual route: it settles at least a third of the cases on its own.</summary>
    [Fact]
    public void The_closed_form_alone_settles_most_inputs()
    {
        var cases = Cases().ToList();
        var settled = cases.Count(args =>
        {
            var (m, rho) = Problem((double[,])args[1], (double)args[2]);
            var (k, b, normalisedRho) = Normalised(m, rho);
            return ConflictAverseSupport.TrySolve(k, b, normalisedRho, null) is not null;
        });
        Assert.True(3 * settled >= cases.Count, $"{settled} of {cases.Count}");
    }

    /// <summary>The closed form's answer from any candidate support (a wrong start included) is the same optimum.</summary>
    [Theory]
    [InlineData(3, 21)]
    [InlineData(4, 22)]
    [InlineData(5, 23)]
    public void The_closed_form_reaches_the_optimum_from_every_start(int t, int seed)
    {
        var gradients = GradientCases.Conflicting(t, seed);
        var (m, rho) = Problem(gradients, 0.5);
        var (k, b, normalisedRho) = Normalised(m, rho);
        var reference = ConflictAverseDual.Solve(m, rho, useClosedForm: false, out _);
        for (var mask = 1; mask < 1 << t; mask++)
        {
            var candidate = Enumerable.Range(0, t).Select(i => (mask >> i & 1) == 1 ? 1.0 : 0.0).ToArray();
            var w = ConflictAverseSupport.TrySolve(k, b, normalisedRho, candidate);
            if (w is null)
                continue;
            for (var i = 0; i < t; i++)
                Assert.Equal(reference[i], w[i], 8);
        }
    }

    /// <summary>
    /// Where the closed form declines on all tasks (no r &gt; 0 there: small radii), it accepts a start
    /// on the optimum's own support, and from that support less its smallest task it adds the task back:
    /// the two halves of the active-set step (start from a candidate, add the most violating task).
    /// </summary>
    [Fact]
    public void The_closed_form_starts_from_a_candidate_support_and_adds_missing_tasks()
    {
        int declined = 0, added = 0;
        foreach (var t in new[] { 3, 4, 5, 8 })
        {
            foreach (var gradients in new[] { GradientCases.Random(t, 11), GradientCases.Conflicting(t, 12), GradientCases.Dominating(t, 13) })
            {
                foreach (var c in Radii)
                {
                    var (m, rho) = Problem(gradients, c);
                    var (k, b, normalisedRho) = Normalised(m, rho);
                    if (ConflictAverseSupport.TrySolve(k, b, normalisedRho, null) is not null)
                        continue;
                    declined++;
                    var optimum = ConflictAverseDual.Solve(m, rho, useClosedForm: false, out _).Select(x => x > 1e-10 ? x : 0).ToArray();
                    var fromSupport = ConflictAverseSupport.TrySolve(k, b, normalisedRho, optimum);
                    Assert.NotNull(fromSupport);
                    for (var i = 0; i < t; i++)
                        Assert.Equal(optimum[i], fromSupport[i], 8);

                    var positive = Enumerable.Range(0, t).Where(i => optimum[i] > 0).ToList();
                    if (positive.Count < 2)
                        continue;
                    var reduced = (double[])optimum.Clone();
                    reduced[positive.MinBy(i => optimum[i])] = 0;
                    if (ConflictAverseSupport.TrySolve(k, b, normalisedRho, reduced) is not { } fromReduced)
                        continue;
                    added++;
                    for (var i = 0; i < t; i++)
                        Assert.Equal(optimum[i], fromReduced[i], 8);
                }
            }
        }
        Assert.True(declined >= 5, $"only {declined} inputs where the closed form declines all tasks");
        Assert.True(added >= 3, $"only {added} reduced starts were completed by adding a task");
    }

    /// <summary>
    /// A large radius (ρ ≫ 1 once normalised) is where a KKT slack that did not grow with ρ (or shrank)
    /// would reject correct answers: the closed form must still accept them.
    /// </summary>
    [Theory]
    [InlineData(10.0)]
    [InlineData(100.0)]
    public void The_closed_form_accepts_its_answer_at_large_radii(double c)
    {
        var gradients = GradientCases.Random(4, 31);
        var (m, rho) = Problem(gradients, c);
        var (k, b, normalisedRho) = Normalised(m, rho);
        var w = ConflictAverseSupport.TrySolve(k, b, normalisedRho, null);
        Assert.NotNull(w);
        AssertOptimal($"c={c}", gradients, c, w);
    }

    /// <summary>Two orthogonal unit gradients: by symmetry w = (½, ½), found in closed form on the full support.</summary>
    [Fact]
    public void The_closed_form_solves_a_symmetric_pair_by_hand()
    {
        var k = new double[,] { { 1, 0 }, { 0, 1 } };
        var b = new[] { 0.5, 0.5 };
        var w = ConflictAverseSupport.TrySolve(k, b, 0.5, null);
        Assert.NotNull(w);
        Assert.Equal(0.5, w[0], 14);
        Assert.Equal(0.5, w[1], 14);
    }

    /// <summary>
    /// Hand-worked: g₁ = (2, 0), g₂ = (0, 1), c = 1. F(w) = (2w₁² + ½w₂²) + ‖g₀‖·√(4w₁² + w₂²), with
    /// ‖g₀‖ = √(1 + ¼). Stationarity on the full support gives w₁ from the quadratic of the remarks;
    /// the test compares both halves with a fine scan of w₁ ∈ [0, 1].
    /// </summary>
    [Fact]
    public void Both_halves_match_a_scan_of_a_two_task_problem()
    {
        var gradients = new double[,] { { 2, 0 }, { 0, 1 } };
        const double c = 1.0;
        var best = Enumerable.Range(0, 1_000_001).Select(i => i / 1e6).MinBy(x => F(gradients, c, [x, 1 - x]));
        var (m, rho) = Problem(gradients, c);
        var search = ConflictAverseDual.Solve(m, rho, useClosedForm: false, out _);
        var (k, b, normalisedRho) = Normalised(m, rho);
        var closed = ConflictAverseSupport.TrySolve(k, b, normalisedRho, null);
        Assert.NotNull(closed);
        Assert.Equal(best, search[0], 5);
        Assert.Equal(best, closed[0], 5);
        Assert.Equal(search[0], closed[0], 12);
    }

    /// <summary>
    /// Brent's search is reachable with the closed form on, though rarely (5 of 6,600 random inputs
    /// with T = 3 … 12 in 2 … 24 dimensions): more gradients than dimensions make K singular on all
    /// tasks, and where the inner solutions' supports are linearly dependent (e.g. three gradients in
    /// the plane) the closed form declines on each and the root search decides. Two such inputs, pinned.
    /// </summary>
    [Theory]
    [InlineData(5, 26, 2, 0.5)]
    [InlineData(12, 1, 2, 0.5)]
    public void The_default_path_reaches_the_root_search_when_the_supports_are_dependent(int t, int seed, int p, double c)
    {
        var gradients = GradientCases.Random(t, seed, p);
        var (m, rho) = Problem(gradients, c);
        var w = ConflictAverseDual.Solve(m, rho, useClosedForm: true, out var route);
        Assert.Equal(ConflictAverseRoute.RootSearch, route);
        AssertOptimal($"T={t}, seed {seed}", gradients, c, w);
        Assert.Equal(w, ConflictAverseDual.Solve(m, rho));
    }

    /// <summary>The default path (closed form first, search as fallback) and the search alone give the same F.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void The_default_path_agrees_with_the_search_alone(string name, double[,] gradients, double c)
    {
        var (m, rho) = Problem(gradients, c);
        var both = ConflictAverseDual.Solve(m, rho);
        var search = ConflictAverseDual.Solve(m, rho, useClosedForm: false, out _);
        var scale = GramSpace.Scale(gradients);
        Assert.True(Math.Abs(F(gradients, c, both) - F(gradients, c, search)) <= 1e-10 * scale * scale, name);
    }

    [Fact]
    public void One_task_has_weight_one()
    {
        var w = ConflictAverseDual.Solve(new double[,] { { 4 } }, 1, useClosedForm: true, out var route);
        Assert.Equal(ConflictAverseRoute.SingleTask, route);
        Assert.Equal([1.0], w);
    }

    /// <summary>
    /// The closed form declines what it cannot solve instead of returning a wrong answer: a singular
    /// K_SS (identical gradients) and no r &gt; 0 (ρ = 0).
    /// </summary>
    [Fact]
    public void The_closed_form_declines_singular_supports()
    {
        var identical = new double[,] { { 1, 1 }, { 1, 1 } };
        Assert.Null(ConflictAverseSupport.TrySolve(identical, [1, 1], 0.5, null));
        Assert.Null(ConflictAverseSupport.TrySolve(new double[,] { { 1, 0 }, { 0, 1 } }, [0.5, 0.5], 0, null));
    }

    private static void AssertOptimal(string name, double[,] gradients, double c, double[] w)
    {
        var g = Rows(gradients);
        var t = g.Length;
        var scale = GramSpace.Scale(gradients);
        Assert.All(w, x => Assert.True(x >= 0, $"{name}: negative weight"));
        Assert.Equal(1.0, w.Sum(), 10);
        var g0 = Scale(Combine(g, Enumerable.Repeat(1.0, t).ToArray()), 1.0 / t);
        var rho = c * Norm(g0);
        var gw = Combine(g, w);
        if (t <= 4)
        {
            // Where the optimum is g_w = 0 the solver stops at ‖g_w‖ = ZeroNormFraction·max‖gᵢ‖, which
            // costs at most ρ times that in F.
            var reference = LiteralSimplex.Minimize(x => F(gradients, c, x), t);
            var zeroNormSlack = 2 * rho * ConflictAverseDual.ZeroNormFraction * scale;
            Assert.True(F(gradients, c, w) <= F(gradients, c, reference) + (1e-10 * scale * scale) + zeroNormSlack, $"{name}: F = {F(gradients, c, w):R}, generic minimiser {F(gradients, c, reference):R}");
        }
        if (Norm(gw) <= 1e-6 * scale)
            return; // F is not differentiable at g_w = 0; the value comparison above covers it.
        ConflictAverseKkt.AssertHolds(name, g, g0, rho, w, scale);
    }

    /// <summary>F(w) = g_w·g₀ + c‖g₀‖·‖g_w‖, evaluated in parameter space.</summary>
    private static double F(double[,] gradients, double c, double[] w)
    {
        var g = Rows(gradients);
        var g0 = Scale(Combine(g, Enumerable.Repeat(1.0, g.Length).ToArray()), 1.0 / g.Length);
        var gw = Combine(g, w);
        return Dot(gw, g0) + (c * Norm(g0) * Norm(gw));
    }

    private static (double[,] M, double Rho) Problem(double[,] gradients, double c)
    {
        var gramian = Gramian.FromGradients(gradients);
        var t = gramian.TaskCount;
        var mean = Enumerable.Repeat(1.0 / t, t).ToArray();
        return (gramian.Values, c * Math.Sqrt(Math.Max(gramian.QuadraticForm(mean), 0)));
    }

    /// <summary>The solver's own normalisation: K = M / max Mᵢᵢ, b = K·1/T, ρ / √max Mᵢᵢ.</summary>
    private static (double[,] K, double[] B, double Rho) Normalised(double[,] m, double rho)
    {
        var n = m.GetLength(0);
        var scale = Enumerable.Range(0, n).Max(i => m[i, i]);
        var k = new double[n, n];
        var b = new double[n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                k[i, j] = m[i, j] / scale;
                b[i] += k[i, j] / n;
            }
        }
        return (k, b, rho / Math.Sqrt(scale));
    }

    private static double[,] Scaled(double[,] g, double s)
    {
        var r = (double[,])g.Clone();
        for (var i = 0; i < r.GetLength(0); i++)
        {
            for (var k = 0; k < r.GetLength(1); k++)
                r[i, k] *= s;
        }
        return r;
    }
}
