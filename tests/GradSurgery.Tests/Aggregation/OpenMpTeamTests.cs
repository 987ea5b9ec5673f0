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
        Assert.StartsWith("libgomp", Path.GetFileName(runtimes[0]), StringComparison.Ordinal);
        // libtorch's CPU packages bundle their libgomp beside libtorch_cpu; that one comes first.
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(runtimes[0])!, "libtorch_cpu.so")), runtimes[0]);
        Assert.True(OpenMpTeam.IsAvailable);
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

    [KernelFact]
    public void Callers_on_several_threads_at_once_each_get_their_own_team()
    {
        using var scope = NewDisposeScope();
        var g = Matrix();
        var expected = GradientMatrix.CpuGramOf(g);
        var results = new double[4][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = results.Length }, k => results[k] = GradientMatrix.CpuGramOf(g));
        Assert.All(results, result => AssertClose(expected, result, 16));
    }

    [KernelFact]
    public void A_kernel_called_inside_a_team_runs_and_agrees()
    {
        using var scope = NewDisposeScope();
        var g = Matrix();
        var expected = GradientMatrix.CpuGramOf(g);
        var inner = new double[2][];
        OpenMpTeam.Run(2, k => inner[k] = GradientMatrix.CpuGramOf(g));
        Assert.All(inner.Where(result => result is not null), result => AssertClose(expected, result, 16));
        Assert.NotNull(inner[0]);
    }
}
