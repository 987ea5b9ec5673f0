// MultiMNIST-style multi-task benchmark on real handwritten digits: left and right digit of
// overlapping two-digit images, a shared trunk with two heads, trained with each method through
// GradientSurgeryOptimizer and compared with single-task baselines.
using System.CommandLine;
using GradSurgery.Samples;
using GradSurgery.Samples.MultiDigits;
using Spectre.Console;
using static TorchSharp.torch;

const int FullEpochs = 12;
const int FullSeeds = 3;
const int FullTrainImages = 10_000;
const int QuickEpochs = 2;
const int QuickTrainImages = 1_000;
const int TestImages = 2_000;
// Source images used to build training pairs; the rest build test pairs, so test digits are unseen.
const int TrainPoolSize = 1_400;
const int DataSeed = 2026;
// Redirected output (CI logs) gets a table wide enough not to wrap.
const int RedirectedConsoleWidth = 160;
string[] taskNames = ["left digit", "right digit"];

var quickOption = new Option<bool>("--quick") { Description = $"{QuickEpochs} epochs, 1 seed, {QuickTrainImages} training images (for CI)" };
var epochsOption = new Option<int>("--epochs") { Description = "Training epochs", DefaultValueFactory = _ => FullEpochs };
var seedsOption = new Option<int>("--seeds") { Description = "Seeds averaged per row", DefaultValueFactory = _ => FullSeeds };
var outOption = new Option<FileInfo>("--out")
{
    Description = "PNG file for the accuracy curves",
    DefaultValueFactory = _ => new FileInfo(Path.Combine("artifacts", "samples", "multidigits.png")),
};
var deviceOption = new Option<string>("--device") { Description = "cpu or cuda", DefaultValueFactory = _ => "cpu" };
var threadsOption = ThreadsOption.Create();
var root = new RootCommand("Two-digit multi-task benchmark through GradSurgery") { quickOption, epochsOption, seedsOption, outOption, deviceOption, threadsOption };
root.SetAction(parse =>
{
    var quick = parse.GetValue(quickOption);
    var epochs = quick ? QuickEpochs : parse.GetValue(epochsOption);
    var seeds = quick ? 1 : parse.GetValue(seedsOption);
    var trainImages = quick ? QuickTrainImages : FullTrainImages;
    var output = parse.GetValue(outOption)!;
    var device = new Device(parse.GetValue(deviceOption)!);
    if (!ThreadsOption.TryApply(parse.GetValue(threadsOption)))
    {
        return 2;
    }

    if (epochs < 1 || seeds < 1)
    {
        Console.Error.WriteLine("--epochs and --seeds must be at least 1.");
        return 2;
    }

    if (Console.IsOutputRedirected)
    {
        AnsiConsole.Profile.Width = RedirectedConsoleWidth;
    }

    var digits = DigitImages.Load(Path.Combine(AppContext.BaseDirectory, "data", "digits.csv.gz"));
    var train = TwoDigitDataset.Create(digits, [.. Enumerable.Range(0, TrainPoolSize)], trainImages, DataSeed).To(device);
    var test = TwoDigitDataset.Create(digits, [.. Enumerable.Range(TrainPoolSize, digits.Labels.Count - TrainPoolSize)], TestImages, DataSeed + 1).To(device);
    AnsiConsole.MarkupLine($"[bold]MultiDigits[/]: {train.Count} training and {test.Count} test images of {DigitImages.Side}×{TwoDigitDataset.Width} pixels, tasks: {string.Join(", ", taskNames)}; {epochs} epochs × {seeds} seed(s), Adam lr {Trainer.LearningRate}, batch {Trainer.BatchSize}, on {device}");

    var configurations = Configuration.Methods(taskNames.Length, epochs).Concat(Configuration.SingleTaskBaselines(taskNames)).ToList();
    var trainer = new Trainer(train, test, device);
    var summaries = new List<Summary>();
    AnsiConsole.Progress()
        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
        .Start(context =>
        {
            var bars = configurations.ToDictionary(c => c, c => context.AddTask(Markup.Escape(c.Name), maxValue: epochs * seeds));
            foreach (var configuration in configurations)
            {
                var runs = Enumerable.Range(0, seeds).Select(seed => trainer.Train(configuration, epochs, seed, () => bars[configuration].Increment(1))).ToList();
                summaries.Add(new Summary(configuration, runs));
            }
        });

    var baseline = Enumerable.Range(0, taskNames.Length).Select(t => summaries.Single(s => s.Configuration.SingleTask == t).Accuracy(t)).ToList();
    var table = new Table().Title("Test accuracy after the last epoch (mean over seeds)");
    table.AddColumn("method");
    table.AddColumn("weighs");
    foreach (var name in taskNames)
    {
        table.AddColumn(new TableColumn($"{name} acc. %").RightAligned());
    }

    table.AddColumn(new TableColumn("Δm% (lower is better)").RightAligned());
    table.AddColumn(new TableColumn("conflicting pairs / step").RightAligned());
    table.AddColumn(new TableColumn("mean κ").RightAligned());
    table.AddColumn(new TableColumn("ms / step").RightAligned());
    foreach (var summary in summaries)
    {
        var multiTask = summary.Configuration.SingleTask is null;
        var diagnosed = summary.Runs.Sum(r => r.DiagnosedSteps) > 0;
        var cells = new List<string> { Markup.Escape(summary.Configuration.Name), summary.Configuration.Kind };
        cells.AddRange(Enumerable.Range(0, taskNames.Length).Select(t => double.IsNaN(summary.Accuracy(t)) ? "" : $"{100 * summary.Accuracy(t):F2}"));
        cells.Add(multiTask ? $"{summary.DeltaM(baseline):+0.00;-0.00}" : "");
        cells.Add(diagnosed ? $"{summary.ConflictingPairs:F3}" : "");
        cells.Add(diagnosed ? $"{summary.ConditionNumber:F2}" : "");
        cells.Add($"{summary.MillisecondsPerStep:F2}");
        table.AddRow([.. cells]);
    }

    AnsiConsole.Write(table);
    CurvesFigure.Write(summaries, output.FullName);
    AnsiConsole.MarkupLine($"Curves: {Markup.Escape(output.FullName)}");
    return 0;
});
return root.Parse(args).Invoke();
