using System;
using System.IO;
using System.Linq;
using Xunit;

namespace GradSurgery.Tests;

/// <summary>A fact that runs only where MPI's launcher <c>mpirun</c> is on the PATH (scripts/install-mpich.sh installs it; CI does) and is reported as skipped elsewhere.</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (Launcher() is null)
            Skip = "mpirun is not installed (Debian/Ubuntu: scripts/install-mpich.sh).";
    }

    /// <summary>The full path of mpirun, or null.</summary>
    public static string? Launcher() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, "mpirun"))
            .FirstOrDefault(File.Exists);
}
