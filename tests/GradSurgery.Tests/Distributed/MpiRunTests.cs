using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace GradSurgery.Tests.Distributed;

/// <summary>
/// The MPI communicator end to end: GradSurgery.Mpi.Check under <c>mpirun -np 2</c> and <c>-np 3</c> (an odd
/// count catches even-split assumptions) trains every configuration data-parallel on equal and uneven
/// shards and checks each rank against one process on the whole batch, step by step; a rank that throws
/// ends the job with a clear message within a bounded time.
/// </summary>
public partial class MpiRunTests
{
    /// <summary>Longest a run may take: three ranks on two cores take about 8 s here.</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    [GeneratedRegex(@"rank (\d+) of (\d+): (\d+) of (\d+) checks passed")]
    private static partial Regex PassedLine();

    [MpiFact]
    public void Two_ranks_match_one_process_on_every_configuration() => RunsClean(2);

    [MpiFact]
    public void Three_ranks_match_one_process_on_every_configuration() => RunsClean(3);

    [MpiFact]
    public void A_rank_that_throws_ends_the_job_with_its_message_instead_of_hanging()
    {
        var (exitCode, output, elapsed) = Launch(2, "--fail-rank 1");
        Assert.NotEqual(0, exitCode);
        Assert.Contains("rank 1 of 2 failed: InvalidOperationException: deliberate failure", output, StringComparison.Ordinal);
        Assert.True(elapsed < Limit, $"the job took {elapsed}");
    }

    private static void RunsClean(int ranks)
    {
        var (exitCode, output, _) = Launch(ranks, "");
        Assert.True(exitCode == 0, $"exit code {exitCode}:\n{output}");
        var lines = PassedLine().Matches(output).Select(m => m.Groups).ToList();
        Assert.Equal(Enumerable.Range(0, ranks), lines.Select(g => int.Parse(g[1].Value, System.Globalization.CultureInfo.InvariantCulture)).Order());
        Assert.All(lines, g =>
        {
            Assert.Equal(ranks.ToString(System.Globalization.CultureInfo.InvariantCulture), g[2].Value);
            Assert.Equal(g[4].Value, g[3].Value);
            Assert.True(int.Parse(g[4].Value, System.Globalization.CultureInfo.InvariantCulture) >= 40, "too few checks ran");
        });
    }

    private static (int ExitCode, string Output, TimeSpan Elapsed) Launch(int ranks, string arguments)
    {
        var check = Path.Combine(AppContext.BaseDirectory.Replace("GradSurgery.Tests", "GradSurgery.Mpi.Check", StringComparison.Ordinal), "GradSurgery.Mpi.Check.dll");
        Assert.True(File.Exists(check), $"{check} is not built");
        var start = new ProcessStartInfo(MpiFactAttribute.Launcher()!, $"-np {ranks} dotnet \"{check}\" {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Limit))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"mpirun -np {ranks} did not finish within {Limit}");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result, clock.Elapsed);
    }
}
