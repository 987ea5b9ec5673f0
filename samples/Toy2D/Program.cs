// The CAGrad paper's toy problem (Liu et al. 2021, Figure 1): every Gram-space method from the paper's three
// starts, 100 000 Adam steps each, a figure of the trajectories and the paper's claims checked.
using System.CommandLine;
using System.Diagnostics;
using GradSurgery.Samples;
using GradSurgery.Samples.Toy2D;
using static TorchSharp.torch;

const int PaperSteps = 100_000;
(double X1, double X2)[] starts = [(-8.5, 7.5), (-8.5, -5), (9, 9)];

var stepsOption = new Option<int>("--steps")
{
    Description = $"Adam steps per run (the paper: {PaperSteps}; fewer for a quick look)",
    DefaultValueFactory = _ => PaperSteps,
};
var outOption = new Option<FileInfo>("--out")
{
    Description = "PNG file for the figure",
    DefaultValueFactory = _ => new FileInfo(Path.Combine("artifacts", "samples", "toy2d.png")),
};
var deviceOption = new Option<string>("--device")
{
    Description = "cpu or cuda (when TorchSharp has a CUDA backend and a GPU)",
    DefaultValueFactory = _ => "cpu",
};
var threadsOption = ThreadsOption.Create();
var root = new RootCommand("CAGrad paper toy problem (Figure 1) through GradSurgery") { stepsOption, outOption, deviceOption, threadsOption };
root.SetAction(parse =>
{
    var steps = parse.GetValue(stepsOption);
    var output = parse.GetValue(outOption)!;
    var device = new Device(parse.GetValue(deviceOption)!);
    if (!ThreadsOption.TryApply(parse.GetValue(threadsOption)))
    {
        return 2;
    }

    if (steps < 1)
    {
        Console.Error.WriteLine("--steps must be at least 1.");
        return 2;
    }

    var batch = new TrajectoryBatch(ToyMethod.All, starts);
    Console.WriteLine($"{batch.Runs.Count} runs ({ToyMethod.All.Count} methods × {starts.Length} starts), {steps} Adam steps (lr {TrajectoryBatch.LearningRate}) on {device}");
    var clock = Stopwatch.StartNew();
    var reported = 0;
    batch.Execute(steps, device, fraction =>
    {
        var tenths = (int)(fraction * 10);
        if (tenths > reported)
        {
            reported = tenths;
            Console.WriteLine($"  {tenths * 10,3}%  {clock.Elapsed:mm\\:ss}");
        }
    });

    Console.WriteLine();
    Console.WriteLine($"{"method",-15} {"start",-12} {"final x1",10} {"final x2",10} {"L1",10} {"L2",10} {"mean",10}  Pareto set");
    foreach (var run in batch.Runs)
    {
        var (l1, l2) = ToyProblem.Evaluate(run.Final.X1, run.Final.X2);
        var start = $"({run.Start.X1}, {run.Start.X2})";
        Console.WriteLine($"{run.Method.Name,-15} {start,-12} {run.Final.X1,10:F4} {run.Final.X2,10:F4} {l1,10:F4} {l2,10:F4} {(l1 + l2) / 2,10:F4}  {(PaperClaims.OnParetoSet(run.Final) ? "on" : "off")}");
    }

    Console.WriteLine();
    Console.WriteLine(steps < PaperSteps ? $"The paper's claims (they need its {PaperSteps} steps; this run made {steps}):" : "The paper's claims:");
    foreach (var (claim, holds, measured) in PaperClaims.Check(batch.Runs))
    {
        Console.WriteLine($"  [{(holds ? "holds" : "does not hold")}] {claim}: {measured}");
    }

    FigureWriter.Write(batch.Runs, output.FullName);
    Console.WriteLine();
    Console.WriteLine($"Figure: {output.FullName}");
    return 0;
});
return root.Parse(args).Invoke();
