using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace GradSurgery.Tests.Architecture;

/// <summary>The folders of the library are its layers, and references between them point one way.</summary>
public class LayeringTests
{
    [Fact]
    public void The_allowed_references_between_folders_have_no_cycle()
    {
        Assert.True(SourceLayers.IsAcyclic(SourceLayers.Allowed));
    }

    [Fact]
    public void No_library_file_references_a_later_layer()
    {
        var files = SourceLayers.Read(SourceLayers.LibraryFolder());
        Assert.True(files.Count > 20, $"only {files.Count} source files found");
        Assert.Empty(SourceLayers.Violations(files, SourceLayers.Allowed));
    }

    [Fact]
    public void Every_library_file_is_named_after_the_type_it_declares()
    {
        var misnamed = SourceLayers.Read(SourceLayers.LibraryFolder())
            .Where(f => !Regex.IsMatch(f.Text, $@"\b(?:class|struct|interface|enum|record)\s+{f.Name}\b"))
            .Select(f => $"{f.Folder}/{f.Name}.cs");
        Assert.Empty(misnamed);
    }

    [Fact]
    public void The_checker_reports_a_wrong_way_reference_and_a_file_outside_the_layers()
    {
        SourceFile[] files =
        [
            new("Gram", "Core", "internal sealed class Core { private readonly Upper _u = new(); }"),
            new("Weightings", "Upper", "/// <see cref=\"Core\"/>\ninternal sealed class Upper { private int Sum() => new Core().GetHashCode(); }"),
            new("Helpers", "Stray", "internal static class Stray { }"),
        ];
        var violations = SourceLayers.Violations(files, SourceLayers.Allowed);
        Assert.Equal(2, violations.Count);
        Assert.Contains(violations, v => v.StartsWith("Gram/Core.cs uses Upper from Weightings", System.StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("Helpers/Stray.cs is not in a layer folder", System.StringComparison.Ordinal));
    }

    [Fact]
    public void The_checker_ignores_member_accesses_comments_and_strings()
    {
        SourceFile[] files =
        [
            new("Gram", "Core", "internal sealed class Core { double F(double[] x) => x.Sum() + Scale.Mean; /* Upper */ string S = \"Upper\"; }"),
            new("Weightings", "Sum", "internal sealed class Sum { }"),
            new("Weightings", "Upper", "internal sealed class Upper { }"),
        ];
        Assert.Empty(SourceLayers.Violations(files, SourceLayers.Allowed));
    }

    [Fact]
    public void A_cycle_in_the_layer_map_is_detected()
    {
        var cyclic = new System.Collections.Generic.Dictionary<string, string[]> { ["A"] = ["B"], ["B"] = ["C"], ["C"] = ["A"] };
        Assert.False(SourceLayers.IsAcyclic(cyclic));
    }
}
