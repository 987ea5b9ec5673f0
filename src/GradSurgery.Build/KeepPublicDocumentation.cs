// MSBuild inline task (RoslynCodeTaskFactory, netstandard2.0 APIs only) for the library's own build:
// removes from the compiler's XML documentation file every member that is not public API, as recorded
// in PublicAPI.Shipped.txt and PublicAPI.Unshipped.txt (which the PublicApiAnalyzers keep exact), so
// the package's IntelliSense file documents only what users can call.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class GradSurgeryKeepPublicDocumentation : Task
{
    private static readonly string[] Modifiers = { "const ", "override ", "static ", "abstract ", "virtual ", "readonly ", "sealed " };

    [Required]
    public string DocumentationFile { get; set; } = "";

    [Required]
    public ITaskItem[] PublicApiFiles { get; set; } = new ITaskItem[0];

    public override bool Execute()
    {
        var api = new List<string>();
        foreach (var file in PublicApiFiles)
        {
            foreach (var line in File.ReadAllLines(file.GetMetadata("FullPath")))
            {
                var entry = line.Trim();
                if (entry.Length == 0 || entry.StartsWith("#", StringComparison.Ordinal))
                    continue;
                foreach (var modifier in Modifiers)
                {
                    if (entry.StartsWith(modifier, StringComparison.Ordinal))
                        entry = entry.Substring(modifier.Length);
                }
                api.Add(entry);
            }
        }
        var document = XDocument.Load(DocumentationFile);
        var members = document.Root?.Element("members");
        if (members is null)
            return true;
        var removed = 0;
        foreach (var member in members.Elements("member").ToList())
        {
            if (!IsPublic((string?)member.Attribute("name") ?? "", api))
            {
                member.Remove();
                removed++;
            }
        }
        document.Save(DocumentationFile);
        Log.LogMessage(MessageImportance.Normal, "{0}: removed {1} non-public members", DocumentationFile, removed);
        return true;
    }

    /// <summary>Whether a documentation ID (T:, M:, P:, F:, E:) names an entry of the public API files.</summary>
    private static bool IsPublic(string id, List<string> api)
    {
        if (id.Length < 3 || id[1] != ':')
            return false;
        var name = id.Substring(2);
        var parameters = name.IndexOf('(');
        if (parameters >= 0)
            name = name.Substring(0, parameters);
        var dot = name.LastIndexOf('.');
        var owner = dot >= 0 ? name.Substring(0, dot) : name;
        var member = dot >= 0 ? name.Substring(dot + 1) : name;
        switch (id[0])
        {
            case 'T':
                return api.Contains(name);
            case 'M':
                var method = member == "#ctor" ? owner + "." + owner.Substring(owner.LastIndexOf('.') + 1) : name;
                return api.Any(e => e.StartsWith(method + "(", StringComparison.Ordinal));
            case 'P':
                return member == "Item"
                    ? api.Any(e => e.StartsWith(owner + ".this[", StringComparison.Ordinal))
                    : api.Any(e => e.StartsWith(name + ".get ", StringComparison.Ordinal) || e.StartsWith(name + ".set ", StringComparison.Ordinal) || e.StartsWith(name + ".init ", StringComparison.Ordinal));
            case 'F':
            case 'E':
                return api.Any(e => e.StartsWith(name + " = ", StringComparison.Ordinal) || e.StartsWith(name + " -> ", StringComparison.Ordinal));
            default:
                return false;
        }
    }
}
