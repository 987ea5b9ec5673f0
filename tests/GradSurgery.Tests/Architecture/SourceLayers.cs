using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace GradSurgery.Tests.Architecture;

/// <summary>
/// Reads the library's sources by folder and reports every reference to a type declared in a folder
/// that the referencing folder may not use. The folders are the pipeline's layers; dependencies point
/// one way: Gram → Solvers → Weightings → Aggregation → Optimizer, with Diagnostics beside (on Gram only).
/// </summary>
internal static partial class SourceLayers
{
    /// <summary>Each folder of src/GradSurgery and the folders its code may reference.</summary>
    public static IReadOnlyDictionary<string, string[]> Allowed { get; } = new Dictionary<string, string[]>
    {
        ["Gram"] = [],
        ["Solvers"] = ["Gram"],
        ["Weightings"] = ["Gram", "Solvers"],
        ["Diagnostics"] = ["Gram"],
        ["Aggregation"] = ["Gram", "Solvers", "Weightings", "Diagnostics"],
        ["LossWeightings"] = ["Weightings"],
        ["Distributed"] = [],
        ["Optimizer"] = ["Gram", "Solvers", "Weightings", "Diagnostics", "Aggregation", "LossWeightings", "Distributed"],
    };

    /// <summary>The library's source folder, found upwards from the test binaries.</summary>
    public static string LibraryFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "GradSurgery");
            if (File.Exists(Path.Combine(candidate, "GradSurgery.csproj")))
                return candidate;
        }
        throw new InvalidOperationException("src/GradSurgery not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Every .cs file under <paramref name="root"/> (build outputs excluded) as (folder, file name, text).</summary>
    public static IReadOnlyList<SourceFile> Read(string root) =>
        [.. Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(root, path).Replace('\\', '/'))
            .Where(relative => !relative.StartsWith("bin/", StringComparison.Ordinal) && !relative.StartsWith("obj/", StringComparison.Ordinal))
            .OrderBy(relative => relative, StringComparer.Ordinal)
            .Select(relative => new SourceFile(
                relative.Contains('/') ? relative[..relative.IndexOf('/')] : "",
                Path.GetFileNameWithoutExtension(relative),
                File.ReadAllText(Path.Combine(root, relative))))];

    /// <summary>Every broken rule: files outside a known folder, and references against <paramref name="allowed"/>.</summary>
    public static IReadOnlyList<string> Violations(IReadOnlyList<SourceFile> files, IReadOnlyDictionary<string, string[]> allowed)
    {
        var violations = new List<string>();
        var owner = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            if (!allowed.ContainsKey(file.Folder))
                violations.Add($"{file.Folder}/{file.Name}.cs is not in a layer folder ({string.Join(", ", allowed.Keys)}).");
            foreach (Match m in Declaration().Matches(Code(file.Text)))
                owner[m.Groups[1].Value] = file.Folder;
        }
        foreach (var file in files.Where(f => allowed.ContainsKey(f.Folder)))
        {
            var used = Reference().Matches(Code(file.Text)).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal);
            foreach (var name in used)
            {
                if (owner.TryGetValue(name, out var folder) && folder != file.Folder && !allowed[file.Folder].Contains(folder))
                    violations.Add($"{file.Folder}/{file.Name}.cs uses {name} from {folder}: {file.Folder} may use only {Describe(allowed[file.Folder])}.");
            }
        }
        return violations;
    }

    /// <summary>True when following the allowed references from any folder can never return to it.</summary>
    public static bool IsAcyclic(IReadOnlyDictionary<string, string[]> allowed)
    {
        var done = new HashSet<string>();
        var active = new HashSet<string>();
        bool Visit(string folder)
        {
            if (done.Contains(folder))
                return true;
            if (!active.Add(folder))
                return false;
            var ok = allowed.GetValueOrDefault(folder, []).All(Visit);
            active.Remove(folder);
            done.Add(folder);
            return ok;
        }
        return allowed.Keys.All(Visit);
    }

    /// <summary>The text without comments and string literals, where type names are mentions, not references.</summary>
    private static string Code(string text) => StringLiteral().Replace(Comment().Replace(text, " "), "\"\"");

    private static string Describe(string[] folders) => folders.Length == 0 ? "nothing else" : string.Join(", ", folders);

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex Comment();

    [GeneratedRegex(@"""(?:[^""\\\n]|\\.)*""")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\b(?:class|struct|interface|enum|record)\s+([A-Z]\w*)")]
    private static partial Regex Declaration();

    /// <summary>A capitalised identifier not preceded by a dot: member accesses (<c>x.Sum()</c>, <c>Scale.Mean</c>) are not type references.</summary>
    [GeneratedRegex(@"(?<![.\w])([A-Z]\w*)\b")]
    private static partial Regex Reference();
}

/// <summary>One source file: its top folder under the library root ("" at the root), name without extension, and text.</summary>
internal sealed record SourceFile(string Folder, string Name, string Text);
