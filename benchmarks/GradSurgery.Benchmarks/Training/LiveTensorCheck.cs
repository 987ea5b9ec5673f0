using System.Diagnostics;
using GradSurgery.Benchmarks.Infrastructure;
using static TorchSharp.torch;

namespace GradSurgery.Benchmarks.Training;

/// <summary>
/// Target "no per-step allocation after the first step": runs the wrapper for 1 000 steps per method
/// (parameter mode) and in representation mode, and compares the live native tensor count and the
/// process's resident memory after step 10 and after step 1 000. A leak of one [P] or [T, P] tensor
/// per step would add thousands of tensors and gigabytes.
/// </summary>
public static class LiveTensorCheck
{
    private const int EarlyStep = 10;
    private const int LateStep = 1_000;
    private const int SmokeLateStep = 20;
    private const int TaskCount = 4;
    private const double BytesPerMebibyte = 1024.0 * 1024.0;

    /// <summary>Prints one Markdown row per scenario; returns 1 when a count grew.</summary>
    public static int Run(bool smoke)
    {
        var late = smoke ? SmokeLateStep : LateStep;
        string[] scenarios = ["Plain:SummedLoss", .. BenchmarkMethods.Training.Select(m => $"Wrapper:{m}"), "Representation:AlignedMTL"];
        using (var probe = new MultiHeadMlp("1M", 1, CPU))
        {
            Console.WriteLine($"Trunk 1M (P = {probe.SharedParameterCount:N0}), T = {TaskCount}, Adam, {late} steps on {TorchDevice.Current}; Plain:SummedLoss is ordinary training without the wrapper, for comparison");
        }

        Console.WriteLine();
        Console.WriteLine($"| scenario | live tensors after step {EarlyStep} | after step {late} | RSS MiB after step {EarlyStep} | after step {late} |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        var grew = false;
        foreach (var scenario in scenarios)
        {
            var parts = scenario.Split(':');
            using var model = new MultiHeadMlp("1M", TaskCount, TorchDevice.Current);
            var inner = optim.Adam(model.Parameters, lr: 1e-4);
            using var optimizer = parts[0] == "Plain" ? null : new GradientSurgeryOptimizer(inner, BenchmarkMethods.Weighting(parts[1]), new GradientSurgeryOptions { SharedParameters = model.Trunk.parameters() });
            long earlyCount = 0;
            double earlyRss = 0;
            for (var step = 1; step <= late; step++)
            {
                using (var scope = NewDisposeScope())
                {
                    var (z, losses) = model.Forward();
                    if (optimizer is null)
                    {
                        inner.zero_grad();
                        losses.Aggregate((a, b) => a + b).backward();
                        inner.step();
                    }
                    else
                    {
                        optimizer.zero_grad();
                        if (parts[0] == "Representation")
                        {
                            optimizer.Backward(losses, z);
                        }
                        else
                        {
                            optimizer.Backward(losses);
                        }

                        optimizer.step();
                    }
                }

                if (step == EarlyStep)
                {
                    earlyCount = Tensor.TotalCount;
                    earlyRss = ResidentMebibytes();
                }
            }

            var lateCount = Tensor.TotalCount;
            if (optimizer is null)
            {
                inner.Dispose();
            }

            grew |= lateCount > earlyCount;
            Console.WriteLine($"| {scenario} | {earlyCount} | {lateCount} | {earlyRss:F0} | {ResidentMebibytes():F0} |");
        }

        Console.WriteLine();
        Console.WriteLine(grew ? "Live tensor count GREW: a per-step leak." : "Live tensor counts are flat: nothing is left behind per step.");
        return grew ? 1 : 0;
    }

    private static double ResidentMebibytes()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64 / BytesPerMebibyte;
    }
}
