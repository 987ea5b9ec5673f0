using System.IO;
using System.Linq;
using System.Text;
using GradSurgery.Tests.Architecture;
using Xunit;

namespace GradSurgery.Tests.Properties;

/// <summary>The README's property table is the one <see cref="SuiteMethods"/> declares (and the suite asserts cell by cell).</summary>
public class PropertyTableTests
{
    /// <summary>The markdown table of <see cref="SuiteMethods.All"/>.</summary>
    public static string Markdown()
    {
        var table = new StringBuilder();
        table.Append("| method | non-conflicting | permutation-invariant | linear under scaling | non-zero unless strongly stationary |\n");
        table.Append("| --- | --- | --- | --- | --- |\n");
        foreach (var m in SuiteMethods.All)
            table.Append($"| {m.Label} | {Mark(m.NonConflicting)} | {Mark(m.PermutationInvariant)} | {Mark(m.LinearUnderScaling)} | {Mark(m.NonZeroUnlessStronglyStationary)} |\n");
        return table.ToString();
    }

    [Fact]
    public void The_readme_shows_the_asserted_property_table()
    {
        var readme = File.ReadAllText(Path.Combine(Directory.GetParent(SourceLayers.LibraryFolder())!.Parent!.FullName, "README.md")).Replace("\r\n", "\n");
        Assert.True(readme.Contains(Markdown()), "README.md must contain exactly this table (regenerate it from SuiteMethods):\n" + Markdown());
        Assert.Equal(SuiteMethods.All.Count, SuiteMethods.All.Select(m => m.Label).Distinct().Count());
    }

    private static string Mark(bool holds) => holds ? "✓" : "✗";
}
