using System;
using System.Linq;
using Xunit;

namespace GradSurgery.Tests.Weightings;

/// <summary>The method catalogue: every method once, named by itself, found by name.</summary>
public class WeightingCatalogTests
{
    /// <summary>Shipped weightings without a default configuration, documented as left out of the catalogue.</summary>
    private static readonly string[] NeedArguments = [nameof(Constant), nameof(Krum), nameof(CRMogm)];

    [Fact]
    public void Lists_every_shipped_method_once_under_the_name_it_gives_itself()
    {
        Assert.Equal(new[] { "Mean", "Sum", "MGDA", "PCGrad", "CAGrad", "GradOPS", "Aligned-MTL", "UPGrad", "DualProj", "IMTL-G", "Nash-MTL", "GradVac", "FairGrad", "ConFIG", "RLW" }, WeightingCatalog.Names);
        Assert.Equal(WeightingCatalog.Names, WeightingCatalog.CreateAll().Select(w => w.Name));
        var shipped = typeof(IGramianWeighting).Assembly.GetExportedTypes()
            .Where(t => t.IsClass && typeof(IGramianWeighting).IsAssignableFrom(t))
            .Select(t => t.Name)
            .Except(NeedArguments)
            .OrderBy(n => n, StringComparer.Ordinal);
        Assert.Equal(shipped, WeightingCatalog.CreateAll().Select(w => w.GetType().Name).OrderBy(n => n, StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("Aligned-MTL", typeof(AlignedMtl))]
    [InlineData("alignedmtl", typeof(AlignedMtl))]
    [InlineData("ALIGNED_MTL", typeof(AlignedMtl))]
    [InlineData("gradops", typeof(GradOps))]
    [InlineData("MGDA", typeof(Mgda))]
    [InlineData("imtlg", typeof(ImtlG))]
    [InlineData("nash_mtl", typeof(NashMtl))]
    [InlineData("config", typeof(ConFig))]
    public void Finds_a_method_ignoring_case_hyphens_and_underscores(string name, Type expected)
    {
        Assert.IsType(expected, WeightingCatalog.Create(name));
    }

    [Fact]
    public void An_unknown_name_is_rejected_with_the_known_names()
    {
        var e = Assert.Throws<ArgumentException>(() => WeightingCatalog.Create("Nash-MTM"));
        Assert.Equal("name", e.ParamName);
        Assert.Contains("'Nash-MTM'", e.Message);
        Assert.Contains(string.Join(", ", WeightingCatalog.Names), e.Message);
        Assert.Throws<ArgumentNullException>(() => WeightingCatalog.Create(null!));
    }

    [Fact]
    public void The_seed_makes_random_methods_repeat()
    {
        var gramian = Gramian.FromGradients(GradientCases.Conflicting(6, 3));
        var a = WeightingCatalog.Create("PCGrad", seed: 4);
        var b = WeightingCatalog.Create("PCGrad", seed: 4);
        for (var call = 0; call < 5; call++)
            Assert.Equal(a.ComputeWeights(gramian), b.ComputeWeights(gramian));
    }

    [Fact]
    public void Resetting_PCGrad_replays_its_random_order()
    {
        var gramian = Gramian.FromGradients(GradientCases.Conflicting(6, 3));
        foreach (var seed in new int?[] { 2, null })
        {
            var pcgrad = new PCGrad(seed: seed);
            var first = Enumerable.Range(0, 8).Select(_ => pcgrad.ComputeWeights(gramian)).ToArray();
            Assert.Contains(first, w => !w.SequenceEqual(first[0]));
            pcgrad.Reset();
            Assert.Equal(first, Enumerable.Range(0, 8).Select(_ => pcgrad.ComputeWeights(gramian)).ToArray());
        }
    }

    [Fact]
    public void Only_methods_with_state_say_so()
    {
        Assert.Equal(new[] { "PCGrad", "Nash-MTL", "GradVac", "RLW" }, WeightingCatalog.CreateAll().OfType<IStatefulWeighting>().Select(w => w.Name));
    }
}
