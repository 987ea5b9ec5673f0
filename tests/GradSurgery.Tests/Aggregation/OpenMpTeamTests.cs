using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using static TorchSharp.torch;

namespace GradSurgery.Tests.Aggregation;

/// <summary>
/// The kernels' workers on libtorch's OpenMP threads (<see cref="OpenMpTeam"/>): the runtime is the one
/// libtorch loaded, every team thread runs once with its own number, exceptions come back to the caller,
/// and the kernels give the same answers on OpenMP threads, on .NET pool threads, from several callers at
/// once and from inside another region.
/// </summary>
public class OpenMpTeamTests
{
    /// <summary>Loads libtorch (and with it its OpenMP runtime) before a test looks for it.</summary>
    private static void LoadTorch()
    {
        using var warm = ones(2);
        Assert.Equal(2, warm.sum().item<float>());
    }

    [Fact]
    public void The_runtime_is_libtorchs_own_libgomp_on_Linux()
    {
        LoadTorch();
        var (runtimes, torchLoaded) = OpenMpTeam.MappedRuntimes();
        if (!OperatingSystem.IsLinux())
        {
            Assert.Empty(runtimes);
            Assert.False(OpenMpTeam.IsAvailable);
            return;
        }
        Assert.True(torchLoaded);
        Assert.NotEmpty(runtimes);
        Assert.All(runtimes, path => Assert.Matches("^lib(gomp|iomp5)", Path.GetFileName(path)));
        Assert.StartsWith("libgomp", Path.GetFileName(runtimes[0]), StringComparison.Ordinal);
        // libtorch's CPU packages bundle their libgomp beside libtorch_cpu; that one comes first.
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(runtimes[0])!, "libtorch_cpu.so")), runtimes[0]);
        // Looked up afresh (the process-wide lookup is cached): both entry points found, and final.
        var (entries, final) = OpenMpTeam.Resolve((runtimes, torchLoaded));
        Assert.NotEqual(0, entries.Parallel);
        Assert.NotEqual(0, entries.ThreadNumber);
        Assert.NotEqual(entries.Parallel, entries.ThreadNumber);
        Assert.True(final);
        Assert.True(OpenMpTeam.IsAvailable);
    }

    [Fact]
    public void Maps_lines_give_the_runtime_beside_libtorch_first_then_libgomp_before_libiomp5_each_once()
    {
        string[] maps =
        [
            "7f0000000000-7f0000001000 r-xp 00000000 fe:00 11 /opt/intel/lib/libiomp5.so",
            "7f0000001000-7f0000002000 r-xp 00000000 fe:00 12 /usr/lib/x86_64-linux-gnu/libgomp.so.1",
            "7f0000002000-7f0000003000 rw-p 00000000 00:00 0 [heap]",
            "7f0000003000-7f0000004000 r-xp 00000000 fe:00 13 /app/native/libtorch_cpu.so",
            "7f0000004000-7f0000005000 r--p 00001000 fe:00 13 /app/native/libtorch_cpu.so",
            "7f0000005000-7f0000006000 r-xp 00000000 fe:00 14 /other/libtorch_cpu.so",
            "7f0000006000-7f0000007000 r-xp 00000000 fe:00 15 /app/native/libgomp-98b21ff3.so.1",
            "7f0000007000-7f0000008000 r--p 00002000 fe:00 15 /app/native/libgomp-98b21ff3.so.1",
            "7f0000008000-7f0000009000 r-xp 00000000 fe:00 16 /app/native/libc10.so",
            "7f0000009000-7f000000a000 r-xp 00000000 fe:00 17 /other/libgomp.so.1",
            "7f000000a000-7f000000b000 rw-p 00000000 00:00 0",
        ];
        var (runtimes, torchLoaded) = OpenMpTeam.MappedRuntimes(maps);
        Assert.True(torchLoaded);
        // The first libtorch_cpu mapped names the directory (/app/native, not /other).
        Assert.Equal(
            ["/app/native/libgomp-98b21ff3.so.1", "/usr/lib/x86_64-linux-gnu/libgomp.so.1", "/other/libgomp.so.1", "/opt/intel/lib/libiomp5.so"],
            runtimes);
        var (none, loaded) = OpenMpTeam.MappedRuntimes(maps.Where(line => !line.Contains("libtorch_cpu", StringComparison.Ordinal)));
        Assert.False(loaded);
        // Without libtorch_cpu no directory comes first: libgomp before libiomp5, each in mapping order.
        Assert.Equal(["/usr/lib/x86_64-linux-gnu/libgomp.so.1", "/app/native/libgomp-98b21ff3.so.1", "/other/libgomp.so.1", "/opt/intel/lib/libiomp5.so"], none);
        // The path is the line from its first '/', the whole line when it starts with one.
        Assert.Equal(["/lone/libgomp.so.1"], OpenMpTeam.MappedRuntimes(["/lone/libgomp.so.1"]).Runtimes);
    }

    [Fact]
    public void No_runtime_is_final_once_libtorch_is_mapped_and_provisional_before()
    {
        var (early, earlyFinal) = OpenMpTeam.Resolve(([], false));
        Assert.Equal(new OpenMpTeam.EntryPointSet(0, 0), early);
        Assert.Equal(!OperatingSystem.IsLinux(), earlyFinal);
        var (none, final) = OpenMpTeam.Resolve((["/nonexistent/libgomp.so.1"], true));
        Assert.Equal(new OpenMpTeam.EntryPointSet(0, 0), none);
        Assert.True(final);
    }

    [Fact]
    public void A_final_lookup_is_kept_and_a_provisional_one_is_repeated()
    {
        OpenMpTeam.EntryPointSet? cache = null;
        var lookups = 0;
        var provisional = OpenMpTeam.Cached(ref cache, () => { lookups++; return (new OpenMpTeam.EntryPointSet(0, 0), false); });
        Assert.Equal(new OpenMpTeam.EntryPointSet(0, 0), provisional);
        Assert.Null(cache);
        var found = new OpenMpTeam.EntryPointSet(1, 2);
        Assert.Same(found, OpenMpTeam.Cached(ref cache, () => { lookups++; return (found, true); }));
        Assert.Same(found, OpenMpTeam.Cached(ref cache, () => { lookups++; return (new OpenMpTeam.EntryPointSet(3, 4), true); }));
        Assert.Same(found, cache);
        Assert.Equal(2, lookups);
    }

    [Fact]
    public void Switched_to_pool_threads_a_region_is_the_caller_alone()
    {
        LoadTorch();
        var calls = new ConcurrentBag<(int Number, int Thread)>();
        OpenMpTeam.PoolThreadsOnThisThread = true;
        try
        {
            OpenMpTeam.Run(2, k => calls.Add((k, Environment.CurrentManagedThreadId)));
        }
        finally
        {
            OpenMpTeam.PoolThreadsOnThisThread = false;
        }
        Assert.Equal((0, Environment.CurrentManagedThreadId), Assert.Single(calls));
    }

    [Fact]
    public async Task Pool_threads_can_be_asked_for_on_one_thread_without_touching_another()
    {
        LoadTorch();
        var expected = OperatingSystem.IsLinux();
        Assert.Equal(expected, OpenMpTeam.IsAvailable);
        OpenMpTeam.PoolThreadsOnThisThread = true;
        try
        {
            Assert.False(OpenMpTeam.IsAvailable);
            var elsewhere = await Task.Run(() => OpenMpTeam.IsAvailable);
            Assert.Equal(expected, elsewhere);
        }
        finally
        {
            OpenMpTeam.PoolThreadsOnThisThread = false;
        }
        Assert.Equal(expected, OpenMpTeam.IsAvailable);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Every_team_thread_runs_once_with_its_number_and_the_caller_is_number_0(int workers)
    {
        LoadTorch();
        var calls = new ConcurrentBag<(int Number, int Thread)>();
        OpenMpTeam.Run(workers, k => calls.Add((k, Environment.CurrentManagedThreadId)));
        var expected = OpenMpTeam.IsAvailable ? workers : 1;
        Assert.Equal(Enumerable.Range(0, expected), calls.Select(c => c.Number).Order());
        Assert.Equal(expected, calls.Select(c => c.Thread).Distinct().Count());
        Assert.Equal(Environment.CurrentManagedThreadId, calls.Single(c => c.Number == 0).Thread);
    }

    [Fact]
    public void A_workers_exception_is_rethrown_on_the_caller_and_the_team_still_works()
    {
        LoadTorch();
        var workers = OpenMpTeam.IsAvailable ? 2 : 1;
        var failing = workers - 1;
        var error = Assert.Throws<InvalidOperationException>(() => OpenMpTeam.Run(workers, k =>
        {
            if (k == failing)
                throw new InvalidOperationException($"worker {k} failed");
        }));
        Assert.Equal($"worker {failing} failed", error.Message);
        Assert.Contains(nameof(A_workers_exception_is_rethrown_on_the_caller_and_the_team_still_works), error.StackTrace, StringComparison.Ordinal);
        var ran = 0;
        OpenMpTeam.Run(workers, _ => Interlocked.Increment(ref ran));
        Assert.Equal(workers, ran);
    }

    [Fact]
    public void When_every_worker_throws_one_of_their_exceptions_comes_back()
    {
        LoadTorch();
        var error = Assert.Throws<ArgumentException>(() => OpenMpTeam.Run(2, k => throw new ArgumentException($"worker {k}")));
        Assert.Matches("^worker [01]$", error.Message);
    }

    /// <summary>A Gram matrix of 16 rows, large enough for pieces on both workers and the prefetching path.</summary>
    private static Tensor Matrix() => randn(16, 400_009, generator: new Generator(17));

    private static void AssertClose(double[] expected, double[] actual, int rows)
    {
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < rows; j++)
            {
                var scale = Math.Sqrt(expected[(i * rows) + i] * expected[(j * rows) + j]);
                Assert.Equal(expected[(i * rows) + j], actual[(i * rows) + j], 1e-12 * scale);
            }
        }
    }

    [KernelFact]
    public void The_kernels_agree_on_OpenMP_threads_and_on_pool_threads()
    {
        using var scope = NewDisposeScope();
        var g = Matrix();
        var weights = Enumerable.Range(0, 16).Select(k => 1.0 - (k / 8.0)).ToArray();
        var openMp = GradientMatrix.CpuGramOf(g);
        var openMpUpdate = empty(g.shape[1]);
        GradientMatrix.Combine(g, weights, openMpUpdate);
        OpenMpTeam.PoolThreadsOnThisThread = true;
        try
        {
            var pool = GradientMatrix.CpuGramOf(g);
            var poolUpdate = empty(g.shape[1]);
            GradientMatrix.Combine(g, weights, poolUpdate);
            // The pieces' partial sums land on whichever worker took them, so the Gram may differ in its
            // last bits; each output of the combine is one worker's sum over the rows, bit for bit.
            AssertClose(pool, openMp, 16);
            Assert.True(poolUpdate.eq(openMpUpdate).all().item<bool>());
        }
        finally
        {
            OpenMpTeam.PoolThreadsOnThisThread = false;
        }
    }

    /// <summary>
    /// Lets <paramref name="run"/> call the Gram of <see cref="Matrix"/> through its argument (slot k of
    /// <paramref name="slots"/>) and checks every result against the Gram computed plainly; slot 0 must
    /// be filled, and every slot when <paramref name="everySlot"/>.
    /// </summary>
    private static void AssertGramsAgree(int slots, bool everySlot, Action<Action<int>> run)
    {
        using var scope = NewDisposeScope();
        var g = Matrix();
        var expected = GradientMatrix.CpuGramOf(g);
        var results = new double[slots][];
        run(k => results[k] = GradientMatrix.CpuGramOf(g));
        Assert.NotNull(results[0]);
        if (everySlot)
            Assert.All(results, Assert.NotNull);
        Assert.All(results.Where(result => result is not null), result => AssertClose(expected, result, 16));
    }

    [KernelFact]
    public void Callers_on_several_threads_at_once_each_get_their_own_team() =>
        AssertGramsAgree(4, everySlot: true, body => Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, body));

    // Inside a region libgomp runs a nested region on its caller alone, so only slot 0 is sure to be filled.
    [KernelFact]
    public void A_kernel_called_inside_a_team_runs_and_agrees() =>
        AssertGramsAgree(2, everySlot: false, body => OpenMpTeam.Run(2, body));
}
