using System.IO;
using System.Linq;
using System.Xml.Linq;
using Xunit;

namespace GradSurgery.Tests.Package;

/// <summary>The XML documentation file that ships in the package documents the public API only, all of it.</summary>
public class DocumentationFileTests
{
    private static string[] DocumentedIds()
    {
        var path = Path.ChangeExtension(typeof(Gramian).Assembly.Location, ".xml");
        return [.. XDocument.Load(path).Descendants("member").Select(m => (string)m.Attribute("name")!)];
    }

    [Fact]
    public void No_internal_type_or_member_is_documented()
    {
        var ids = DocumentedIds();
        var internalTypes = typeof(Gramian).Assembly.GetTypes().Where(t => !t.IsPublic && !t.IsNested && t.Namespace == "GradSurgery").Select(t => t.FullName!).ToArray();
        Assert.Contains("GradSurgery.GradientMatrix", internalTypes);
        Assert.DoesNotContain(ids, id => internalTypes.Any(t => id[2..] == t || id[2..].StartsWith(t + ".", System.StringComparison.Ordinal)));
        Assert.DoesNotContain("M:GradSurgery.Gramian.Multiply(System.Collections.Generic.IReadOnlyList{System.Double})", ids);
        Assert.DoesNotContain("P:GradSurgery.GradientDiagnostics.WeightArray", ids);
    }

    [Fact]
    public void Every_public_type_is_documented()
    {
        var ids = DocumentedIds();
        foreach (var type in typeof(Gramian).Assembly.GetExportedTypes())
            Assert.Contains("T:" + type.FullName, ids);
        Assert.Contains("E:GradSurgery.GradientSurgeryOptimizer.Aggregated", ids);
        Assert.Contains("P:GradSurgery.Gramian.Item(System.Int32,System.Int32)", ids);
    }
}
