using System;
using System.Reflection;
using System.Runtime.InteropServices;

namespace GradSurgery.Mpi;

/// <summary>
/// Points MPI.NET's P/Invokes, which name Microsoft MPI's <c>msmpi.dll</c>, at an MPICH-ABI library on
/// Linux and macOS (MS-MPI is MPICH-derived and shares its ABI: integer handles, the same constants).
/// </summary>
/// <remarks>
/// Tried in order: the file named by the environment variable <c>GRADSURGERY_MPI_LIBRARY</c>, MPICH's
/// <c>libmpich.so.12</c> (Debian/Ubuntu <c>mpich</c>), <c>libmpi.so.12</c> (Intel MPI, also MPICH ABI),
/// <c>libmpich.dylib</c>. Open MPI's <c>libmpi.so.40</c> is not ABI-compatible and is never loaded. On
/// Windows nothing is redirected: MS-MPI provides <c>msmpi.dll</c>.
/// </remarks>
internal static class MpichLibrary
{
    /// <summary>The environment variable that names the MPI library to load instead of the defaults.</summary>
    public const string OverrideVariable = "GRADSURGERY_MPI_LIBRARY";

    private static readonly string[] Candidates = ["libmpich.so.12", "libmpi.so.12", "libmpich.dylib"];
    private static readonly object Gate = new();
    private static bool _registered;

    /// <summary>Registers the resolver once per process, before the first MPI call.</summary>
    public static void Register()
    {
        lock (Gate)
        {
            if (_registered || OperatingSystem.IsWindows())
                return;
            NativeLibrary.SetDllImportResolver(typeof(MPI.Environment).Assembly, Resolve);
            _registered = true;
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (!name.Contains("msmpi", StringComparison.OrdinalIgnoreCase))
            return IntPtr.Zero;
        var chosen = Environment.GetEnvironmentVariable(OverrideVariable);
        if (!string.IsNullOrEmpty(chosen))
            return NativeLibrary.Load(chosen);
        foreach (var candidate in Candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out var handle))
                return handle;
        }
        throw new DllNotFoundException($"No MPICH-ABI MPI library was found ({string.Join(", ", Candidates)}). Install MPICH (Debian/Ubuntu: apt-get install mpich) or name the library in {OverrideVariable}. Open MPI is not ABI-compatible with MPI.NET.");
    }
}
