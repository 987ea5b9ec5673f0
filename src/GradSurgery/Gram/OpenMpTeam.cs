using System;
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

    /// <summary>The runtime's entry points once found or known absent; null while libtorch is not loaded yet (looked for again then).</summary>
    private static (nint Parallel, nint ThreadNumber)? s_entries;

    /// <summary>
    /// Set on a thread, the kernels it calls use .NET pool threads even where the runtime is found: the
    /// tests compare both paths with it (per thread, so tests running beside each other are not affected).
    /// </summary>
    [ThreadStatic]
    internal static bool PoolThreadsOnThisThread;

    /// <summary>Whether libtorch's OpenMP runtime was found (and <see cref="PoolThreadsOnThisThread"/> is off).</summary>
    public static bool IsAvailable => !PoolThreadsOnThisThread && EntryPoints.Parallel != 0;

    /// <summary>The entry points (zeros where no runtime is found), looked up once libtorch is loaded.</summary>
    private static (nint Parallel, nint ThreadNumber) EntryPoints
    {
        get
        {
            if (s_entries is { } found)
                return found;
            var (entries, final) = Resolve();
            if (final)
                s_entries = entries;
            return entries;
        }
    }

    /// <summary>
    /// Calls <paramref name="body"/>(k) once on each thread of an OpenMP team of at most
    /// <paramref name="workers"/> threads, k the thread's number in the team (0 is the caller), and
    /// returns when every call has. The runtime may give fewer threads than asked (inside another parallel
    /// region: one; without the runtime, see <see cref="IsAvailable"/>: the caller alone), so
    /// <paramref name="body"/> must not rely on every k being called.
    /// </summary>
    public static void Run(int workers, Action<int> body)
    {
        var (parallel, _) = EntryPoints;
        if (parallel == 0)
        {
            body(0);
            return;
        }
        var team = new Team(body);
        var handle = GCHandle.Alloc(team);
        try
        {
            ((delegate* unmanaged<delegate* unmanaged<nint, void>, nint, uint, uint, void>)parallel)(&Enter, GCHandle.ToIntPtr(handle), (uint)workers, 0);
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
            team.Body(((delegate* unmanaged<int>)EntryPoints.ThreadNumber)());
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref team.Failure, ExceptionDispatchInfo.Capture(e), null);
        }
    }

    /// <summary>
    /// The mapped OpenMP runtime's <c>GOMP_parallel</c> and <c>omp_get_thread_num</c>, or zeros; final unless
    /// nothing was found before libtorch_cpu was mapped (it loads its runtime with it).
    /// </summary>
    private static ((nint, nint) EntryPoints, bool Final) Resolve()
    {
        var (runtimes, torchLoaded) = MappedRuntimes();
        foreach (var path in runtimes)
        {
            if (NativeLibrary.TryLoad(path, out var library)
                && NativeLibrary.TryGetExport(library, "GOMP_parallel", out var parallel)
                && NativeLibrary.TryGetExport(library, "omp_get_thread_num", out var threadNumber))
                return ((parallel, threadNumber), true);
        }
        return ((0, 0), torchLoaded || !OperatingSystem.IsLinux());
    }

    /// <summary>
    /// Paths of the OpenMP runtimes mapped into this process (Linux's <c>/proc/self/maps</c>), libgomp before
    /// libiomp5 and a runtime beside libtorch_cpu before any other (none where the file does not exist), and
    /// whether libtorch_cpu is mapped.
    /// </summary>
    internal static (string[] Runtimes, bool TorchLoaded) MappedRuntimes()
    {
        const string maps = "/proc/self/maps";
        if (!OperatingSystem.IsLinux() || !File.Exists(maps))
            return ([], false);
        string? torchDirectory = null;
        var runtimes = new System.Collections.Generic.List<string>();
        foreach (var line in File.ReadLines(maps))
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

    /// <summary>The body a region runs and the first exception any of its threads threw.</summary>
    private sealed class Team(Action<int> body)
    {
        public Action<int> Body { get; } = body;

        public ExceptionDispatchInfo? Failure;
    }
}
