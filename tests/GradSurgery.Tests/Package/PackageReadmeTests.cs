using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using GradSurgery.Tests.Architecture;
using Xunit;

namespace GradSurgery.Tests.Package;

/// <summary>The README shown on the NuGet gallery resolves there: no link or image relative to the repository.</summary>
public class PackageReadmeTests
{
    private static string PackageReadme() => File.ReadAllText(Path.Combine(SourceLayers.LibraryFolder(), "PACKAGE.md"));

    [Fact]
    public void Every_link_and_image_of_the_package_readme_is_absolute()
    {
        var targets = Regex.Matches(PackageReadme(), @"!?\[[^\]]*\]\(([^)\s]+)[^)]*\)").Select(m => m.Groups[1].Value).ToArray();
        Assert.NotEmpty(targets);
        Assert.All(targets, target => Assert.StartsWith("https://", target));
        Assert.DoesNotMatch(@"<img[^>]+src=""(?!https://)", PackageReadme());
    }

    [Fact]
    public void The_package_readme_is_the_one_packed()
    {
        var project = File.ReadAllText(Path.Combine(SourceLayers.LibraryFolder(), "GradSurgery.csproj"));
        Assert.Contains(@"<None Include=""PACKAGE.md"" Pack=""true"" PackagePath=""/README.md"" />", project);
        Assert.Contains("<PackageReadmeFile>README.md</PackageReadmeFile>", project);
    }
}
