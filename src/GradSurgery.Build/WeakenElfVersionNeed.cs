// MSBuild inline task (RoslynCodeTaskFactory, netstandard2.0 APIs only): marks one version
// requirement of an ELF64 little-endian shared library as weak (VER_FLG_WEAK), so the dynamic
// loader no longer refuses the library when the system lacks that version. It changes two bytes of
// a copy and renames the copy over the original, keeping the file's timestamp (see the targets file).
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class GradSurgeryWeakenElfVersionNeed : Task
{
    private const uint ShtDynSym = 11;
    private const uint ShtGnuVerNeed = 0x6ffffffe;
    private const uint ShtGnuVerSym = 0x6fffffff;
    private const ushort VerFlagWeak = 0x2;
    private const int SectionHeaderSize = 64;
    private const int SymbolSize = 24;

    [Required]
    public ITaskItem[] Files { get; set; } = new ITaskItem[0];

    [Required]
    public string VersionName { get; set; } = "";

    [Required]
    public string AllowedSymbols { get; set; } = "";

    public override bool Execute()
    {
        foreach (var item in Files)
        {
            var path = item.GetMetadata("FullPath");
            try
            {
                Log.LogMessage(MessageImportance.Normal, "{0}: {1}", path, Patch(path));
            }
            catch (Exception e)
            {
                Log.LogWarning("Could not weaken {0} in {1}: {2}", VersionName, path, e.Message);
            }
        }
        return true;
    }

    private string Patch(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[4] != 2 || bytes[5] != 1)
            return "not an ELF64 little-endian file, left alone";

        var shoff = (long)U64(bytes, 0x28);
        var shnum = U16(bytes, 0x3C);
        long verneedOff = -1, verneedSize = 0, versymOff = -1, dynsymOff = -1, dynsymSize = 0;
        uint verneedLink = 0, dynsymLink = 0;
        for (var i = 0; i < shnum; i++)
        {
            var sh = shoff + (long)i * SectionHeaderSize;
            var type = U32(bytes, sh + 4);
            if (type == ShtGnuVerNeed)
            {
                verneedOff = (long)U64(bytes, sh + 0x18);
                verneedSize = (long)U64(bytes, sh + 0x20);
                verneedLink = U32(bytes, sh + 0x28);
            }
            else if (type == ShtGnuVerSym)
            {
                versymOff = (long)U64(bytes, sh + 0x18);
            }
            else if (type == ShtDynSym)
            {
                dynsymOff = (long)U64(bytes, sh + 0x18);
                dynsymSize = (long)U64(bytes, sh + 0x20);
                dynsymLink = U32(bytes, sh + 0x28);
            }
        }
        if (verneedOff < 0)
            return "no version requirements, nothing to do";

        var verneedStrings = (long)U64(bytes, shoff + (long)verneedLink * SectionHeaderSize + 0x18);
        var dynStrings = (long)U64(bytes, shoff + (long)dynsymLink * SectionHeaderSize + 0x18);
        var allowed = new HashSet<string>(AllowedSymbols.Split(new[] { ';', ',' }, StringSplitOptions.RemoveEmptyEntries));

        var need = verneedOff;
        while (need < verneedOff + verneedSize)
        {
            var count = U16(bytes, need + 2);
            var aux = need + U32(bytes, need + 8);
            for (var k = 0; k < count; k++)
            {
                var name = CString(bytes, verneedStrings + U32(bytes, aux + 8));
                if (name == VersionName)
                {
                    var flags = U16(bytes, aux + 4);
                    if ((flags & VerFlagWeak) != 0)
                        return "already weak";
                    var index = U16(bytes, aux + 6);
                    if (versymOff >= 0 && dynsymOff >= 0)
                    {
                        var symbols = dynsymSize / SymbolSize;
                        for (long s = 0; s < symbols; s++)
                        {
                            if ((U16(bytes, versymOff + s * 2) & 0x7fff) != index)
                                continue;
                            var symbol = CString(bytes, dynStrings + U32(bytes, dynsymOff + s * SymbolSize));
                            if (!allowed.Contains(symbol))
                            {
                                Log.LogWarning("{0} needs {1} for {2}, which is not known to be unused: left unpatched", path, VersionName, symbol);
                                return "left unpatched";
                            }
                        }
                    }
                    WriteFlags(path, aux + 4, (ushort)(flags | VerFlagWeak));
                    return "marked " + VersionName + " weak";
                }
                var next = U32(bytes, aux + 12);
                if (next == 0)
                    break;
                aux += next;
            }
            var nextNeed = U32(bytes, need + 12);
            if (nextNeed == 0)
                break;
            need += nextNeed;
        }
        return VersionName + " not required, nothing to do";
    }

    private static void WriteFlags(string path, long offset, ushort flags)
    {
        // Copy-then-rename: the output file may be a hard link into the NuGet cache, which must
        // never change. The original timestamp is kept so that MSBuild's incremental copy (and
        // BenchmarkDotNet's generated project) does not copy the unpatched file back.
        var mtime = File.GetLastWriteTimeUtc(path);
        var tmp = path + ".gs-tmp";
        if (File.Exists(tmp))
            File.Delete(tmp);
        File.Copy(path, tmp);
        using (var stream = new FileStream(tmp, FileMode.Open, FileAccess.Write))
        {
            stream.Position = offset;
            stream.WriteByte((byte)(flags & 0xff));
            stream.WriteByte((byte)(flags >> 8));
        }
        File.SetLastWriteTimeUtc(tmp, mtime);
        File.Delete(path);
        File.Move(tmp, path);
    }

    private static ushort U16(byte[] b, long o) => (ushort)(b[o] | (b[o + 1] << 8));

    private static uint U32(byte[] b, long o) => (uint)(b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24));

    private static ulong U64(byte[] b, long o) => U32(b, o) | ((ulong)U32(b, o + 4) << 32);

    private static string CString(byte[] b, long o)
    {
        var end = o;
        while (end < b.Length && b[end] != 0)
            end++;
        return Encoding.ASCII.GetString(b, (int)o, (int)(end - o));
    }
}
