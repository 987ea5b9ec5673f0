using System;
using System.Collections.Generic;
using System.Linq;
using GradSurgery.Tests.Weightings;
using Xunit;
using static GradSurgery.Tests.Literal.Vectors;

namespace GradSurgery.Tests.Properties;

/// <summary>
/// The shared property suite: every method of <see cref="SuiteMethods"/> on every input of
/// <see cref="SuiteCases"/>. A declared property must hold on every input; a property declared absent
/// must fail on at least one input (the counterexample is named in the failure message otherwise).
/// </summary>
public class PropertySuiteTests
{
    /// <summary>A property counts as broken only beyond this relative error (far above round-off).</summary>
    private const double ClearViolation = 1e-6;

    /// <summary>Relative agreement required of invariances (permutation, scaling): round-off of the iterative solvers included.</summary>
    private const double Invariance = 1e-8;

    /// <summary>An update counts as zero at or below this fraction of the largest gradient norm.</summary>
    private const double ZeroUpdate = 1e-9;

    public static IEnumerable<object[]> Methods() => SuiteMethods.Rows();

    private static IEnumerable<(string Name, double[,] Gradients)> Accepted(SuiteMethod method, IEnumerable<(string Name, double[,] Gradients)> cases) =>
        cases.Where(c => c.Gradients.GetLength(0) >= method.MinimumTasks);

    [Fact]
    public void Every_catalogue_method_has_a_row()
    {
        var labels = SuiteMethods.All.Select(m => m.Label).ToHashSet();
        Assert.All(WeightingCatalog.Names, name => Assert.Contains(name, labels));
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Output_is_finite_with_one_entry_per_parameter_at_every_scale(SuiteMethod method)
    {
        foreach (var (name, gradients) in Accepted(method, SuiteCases.All()))
        {
            foreach (var s in SuiteCases.Scales)
            {
                var d = SuiteCases.Update(method, SuiteCases.Scaled(gradients, s));
                Assert.Equal(gradients.GetLength(1), d.Length);
                Assert.True(d.All(double.IsFinite), $"{method}: non-finite update on {name} scaled by {s:E0}");
                if (s == 0)
                    Assert.True(d.All(x => x == 0), $"{method}: non-zero update for all-zero gradients ({name})");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Non_conflict_holds_exactly_where_declared(SuiteMethod method)
    {
        var worst = (Name: "", Violation: 0.0);
        foreach (var (name, gradients) in Accepted(method, SuiteCases.All()))
        {
            var d = SuiteCases.Update(method, gradients);
            var scale = GramSpace.Scale(gradients);
            foreach (var g in Rows(gradients))
            {
                // Relative to the gradients' scale where d is tiny: at a stationary input the round-off
                // left in d has an arbitrary direction.
                var denominator = Math.Max(Norm(d), scale) * Norm(g);
                if (denominator == 0)
                    continue;
                var violation = -Dot(d, g) / denominator;
                if (violation > worst.Violation)
                    worst = (name, violation);
            }
        }
        if (method.NonConflicting)
            Assert.True(worst.Violation <= method.ConflictSlack, $"{method}: the update conflicts on {worst.Name} (cosine {-worst.Violation:E2})");
        else
            Assert.True(worst.Violation > ClearViolation, $"{method}: declared conflicting but no input gives a conflict (worst cosine {-worst.Violation:E2}); update the table");
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Permutation_invariance_holds_exactly_where_declared(SuiteMethod method)
    {
        var worst = Worst(method, SuiteCases.NotStronglyStationary(), gradients =>
        {
            var permutation = SuiteCases.Rotation(gradients.GetLength(0));
            return (SuiteCases.Update(method, gradients), SuiteCases.Update(method, SuiteCases.Permuted(gradients, permutation)));
        });
        AssertDeclared(method, method.PermutationInvariant, worst, "permutation invariance");
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Linearity_under_scaling_holds_exactly_where_declared(SuiteMethod method)
    {
        var worst = (Name: "", Error: 0.0);
        foreach (var s in new[] { 1e-6, 1e-3, 10, 1e4 })
        {
            var atScale = Worst(method, SuiteCases.NotStronglyStationary(), gradients =>
                (SuiteCases.Update(method, gradients), Scale(SuiteCases.Update(method, SuiteCases.Scaled(gradients, s)), 1 / s)));
            if (atScale.Error > worst.Error)
                worst = ($"{atScale.Name} scaled by {s:E0}", atScale.Error);
        }
        AssertDeclared(method, method.LinearUnderScaling, worst, "linearity under scaling");
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void The_update_is_non_zero_unless_strongly_stationary_exactly_where_declared(SuiteMethod method)
    {
        var smallest = (Name: "", Ratio: double.PositiveInfinity);
        foreach (var (name, gradients) in Accepted(method, SuiteCases.NotStronglyStationary()))
        {
            var ratio = Norm(SuiteCases.Update(method, gradients)) / GramSpace.Scale(gradients);
            if (ratio < smallest.Ratio)
                smallest = (name, ratio);
        }
        if (method.NonZeroUnlessStronglyStationary)
            Assert.True(smallest.Ratio > ZeroUpdate, $"{method}: zero update on {smallest.Name}, which is not strongly stationary");
        else
            Assert.True(smallest.Ratio <= ZeroUpdate, $"{method}: declared to return zero somewhere, but the smallest update is {smallest.Ratio:E2} of the gradients (on {smallest.Name}); update the table");
    }

    /// <summary>The largest relative difference between the two updates <paramref name="pair"/> gives, over the accepted cases.</summary>
    private static (string Name, double Error) Worst(SuiteMethod method, IEnumerable<(string Name, double[,] Gradients)> cases, Func<double[,], (double[] A, double[] B)> pair)
    {
        var worst = (Name: "", Error: 0.0);
        foreach (var (name, gradients) in Accepted(method, cases))
        {
            var (a, b) = pair(gradients);
            var error = MaxAbs(Add(a, b, -1)) / GramSpace.Scale(gradients);
            if (error > worst.Error)
                worst = (name, error);
        }
        return worst;
    }

    private static void AssertDeclared(SuiteMethod method, bool declared, (string Name, double Error) worst, string property)
    {
        if (declared)
            Assert.True(worst.Error <= Invariance, $"{method}: {property} fails on {worst.Name} (relative error {worst.Error:E2})");
        else
            Assert.True(worst.Error > ClearViolation, $"{method}: declared without {property}, but it holds on every input (worst {worst.Error:E2}); update the table");
    }
}
