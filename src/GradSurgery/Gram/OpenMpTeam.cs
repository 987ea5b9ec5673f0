using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Threading;

namespace GradSurgery;

/// <summary>
/// Runs the CPU kernels' workers on libtorch's own OpenMP threads (libgomp's <c>GOMP_parallel</c>) instead
/// of .NET pool threads. After every parallel libtorch operation its OpenMP workers keep spinning for
/// milliseconds (libgomp's default wait policy) waiting for the next parallel region; a .NET thread started
/// meanwhile competes with them for the same cores, and on 2 cores the kernels then ran at about half
/// speed (measured: a 2 × 10⁷ Gram took 2.5–3.2 ms right after a <c>G.sum()</c> against 1.9 ms with
/// <c>OMP_WAIT_POLICY=PASSIVE</c>). Handing the work to those same threads, as a parallel region of
/// libtorch's own team, is what libtorch's operators do: the spinning threads pick it up at once.
/// </summary>
/// <remarks>
/// The OpenMP runtime is the one libtorch loaded, found by name among the process's mapped files (Linux:
/// the bundled <c>libgomp-*.so.1</c>, or a system <c>libgomp</c>/<c>libiomp5</c>, which exports the same
/// entry point). Where none is found (Windows, macOS, a libtorch without OpenMP), <see cref="IsAvailable"/>
/// is false and <see cref="ColumnPieces"/> uses <see cref="System.Threading.Tasks.Parallel"/>. An exception
/// thrown by a worker is caught on its thread (an exception crossing the native frame would end the
/// process) and rethrown on the caller's after the region ends.
/// </remarks>
internal static unsafe class OpenMpTeam
{
    /// <summary>File-name prefixes of the OpenMP runtimes that export <c>GOMP_parallel</c>, in order of preference.</summary>
    private static readonly string[] RuntimePrefixes = ["libgomp", "libiomp5"];

    /// <summary>
    /// The runtime's entry points once found or known absent; null while libtorch is not loaded yet (looked
    /// for again then). A reference, so that a thread never reads half of another's write.
    /// </summary>
    private static EntryPointSet? s_entries;

    /// <summary>
    /// Set on a thread, the kernels it calls use .NET pool threads even where the runtime is found: the
    /// tests compare both paths with it (per thread, so tests running beside each other are not affected).
    /// </summary>
    [ThreadStatic]
    internal static bool PoolThreadsOnThisThread;

    /// <summary>Whether libtorch's OpenMP runtime was found (and <see cref="PoolThreadsOnThisThread"/> is off).</summary>
    public static bool IsAvailable => !PoolThreadsOnThisThread && EntryPoints.Parallel != 0;

    /// <summary>The entry points (zeros where no runtime is found), looked up once libtorch is loaded.</summary>
    private static EntryPointSet EntryPoints => Cached(ref s_entries, () => Resolve(MappedRuntimes()));

    /// <summary>
    /// <paramref name="cache"/>'s entry points, or <paramref name="resolve"/>'s, kept in the cache when final:
    /// the lookup reads <c>/proc/self/maps</c> (a few hundred microseconds), so it runs once per process.
    /// </summary>
    internal static EntryPointSet Cached(ref EntryPointSet? cache, Func<(EntryPointSet EntryPoints, bool Final)> resolve)
    {
        if (Volatile.Read(ref cache) is { } found)
            return found;
        var (entries, final) = resolve();
        if (final)
            Volatile.Write(ref cache, entries);
        return entries;
    }

    /// <summary>
    /// Calls <paramref name="body"/>(k) once on each thread of an OpenMP team of at most
    /// <paramref name="workers"/> threads, k the thread's number in the team (0 is the caller), and
    /// returns when every call has. The runtime may give fewer threads than asked (inside another parallel
    /// region: one; without the runtime or with <see cref="PoolThreadsOnThisThread"/>: the caller alone), so
    /// <paramref name="body"/> must not rely on every k being called.
    /// </summary>
    public static void Run(int workers, Action<int> body)
    {
        var entries = EntryPoints;
        if (entries.Parallel == 0 || PoolThreadsOnThisThread)
        {
            body(0);
            return;
        }
        var team = new Team(body, entries.ThreadNumber);
        var handle = GCHandle.Alloc(team);
        try
        {
            ((delegate* unmanaged<delegate* unmanaged<nint, void>, nint, uint, uint, void>)entries.Parallel)(&Enter, GCHandle.ToIntPtr(handle), (uint)workers, 0);
        }
        finally
        {
            handle.Free();
        }
        team.Failure?.Throw();
    }

    /// <summary>One thread's entry into the region: runs the body with the thread's number, keeping any exception on this side of the native frame.</summary>
    [UnmanagedCallersOnly]
    private static void Enter(nint state)
    {
        var team = (Team)GCHandle.FromIntPtr(state).Target!;
        try
        {
            team.Body(((delegate* unmanaged<int>)team.ThreadNumber)());
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref team.Failure, ExceptionDispatchInfo.Capture(e), null);
        }
    }

    /// <summary>
    /// The <c>GOMP_parallel</c> and <c>omp_get_thread_num</c> of the first of <paramref name="mapped"/>'s
    /// runtimes that exports both, or zeros; final unless nothing was found before libtorch_cpu was mapped
    /// (it loads its runtime with it), or off Linux, where no runtime is looked for.
    /// </summary>
    internal static (EntryPointSet EntryPoints, bool Final) Resolve((string[] Runtimes, bool TorchLoaded) mapped)
    {
        foreach (var path in mapped.Runtimes)
        {
            if (NativeLibrary.TryLoad(path, out var library)
                && NativeLibrary.TryGetExport(library, "GOMP_parallel", out var parallel)
                && NativeLibrary.TryGetExport(library, "omp_get_thread_num", out var threadNumber))
                return (new EntryPointSet(parallel, threadNumber), true);
        }
        return (new EntryPointSet(0, 0), mapped.TorchLoaded || !OperatingSystem.IsLinux());
    }

    /// <summary>The OpenMP runtimes mapped into this process (see <see cref="MappedRuntimes(IEnumerable{string})"/>); none off Linux.</summary>
    internal static (string[] Runtimes, bool TorchLoaded) MappedRuntimes()
    {
        const string maps = "/proc/self/maps";
        return OperatingSystem.IsLinux() && File.Exists(maps) ? MappedRuntimes(File.ReadLines(maps)) : ([], false);
    }

    /// <summary>
    /// Paths of the OpenMP runtimes among the mapped files of <paramref name="maps"/> (lines of Linux's
    /// <c>/proc/self/maps</c>, the path from the first '/'), each once: a runtime beside libtorch_cpu (the
    /// first one mapped) before any other, then libgomp before libiomp5, then in mapping order; and whether
    /// libtorch_cpu is mapped.
    /// </summary>
    internal static (string[] Runtimes, bool TorchLoaded) MappedRuntimes(IEnumerable<string> maps)
    {
        string? torchDirectory = null;
        var runtimes = new List<string>();
        foreach (var line in maps)
        {
            var slash = line.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0)
                continue;
            var path = line[slash..];
            var name = Path.GetFileName(path);
            if (name.StartsWith("libtorch_cpu", StringComparison.Ordinal))
                torchDirectory ??= Path.GetDirectoryName(path);
            if (Array.Exists(RuntimePrefixes, prefix => name.StartsWith(prefix, StringComparison.Ordinal)) && !runtimes.Contains(path))
                runtimes.Add(path);
        }
        string[] ordered = [.. runtimes
            .OrderBy(path => Path.GetDirectoryName(path) == torchDirectory ? 0 : 1)
            .ThenBy(path => Array.FindIndex(RuntimePrefixes, prefix => Path.GetFileName(path).StartsWith(prefix, StringComparison.Ordinal)))];
        return (ordered, torchDirectory is not null);
    }

    /// <summary>The runtime's <c>GOMP_parallel</c> and <c>omp_get_thread_num</c> (zeros: no runtime).</summary>
    internal sealed record EntryPointSet(nint Parallel, nint ThreadNumber);

    /// <summary>The body a region runs, the runtime's thread-number function, and the first exception any of its threads threw.</summary>
    private sealed class Team(Action<int> body, nint threadNumber)
    {
        public Action<int> Body { get; } = body;

        public nint ThreadNumber { get; } = threadNumber;

        public ExceptionDispatchInfo? Failure;
    }
}
