// MultiDigits trained data-parallel under MPI, beside the same training in one process:
//   mpirun -np 2 dotnet run --project samples/DataParallel -c Release
// Every rank also trains the one-process reference on the whole batches (cheap here), so rank 0 can
// print both side by side; then it times a step of each method against an ordinary data-parallel step
// of the summed loss and counts the bytes each hands to MPI.
using System.Globalization;
using GradSurgery.Mpi;
using GradSurgery.Samples.DataParallel;
using GradSurgery.Samples.MultiDigits;

return MpiCommunicator.Run(args, (mpi, rest) =>
{
    var epochs = Option(rest, "--epochs", 2);
    var trainImages = Option(rest, "--train-images", 2_000);
    var timedSteps = Option(rest, "--timed-steps", 30);
    var communicator = new CountingCommunicator(mpi);
    // One machine's cores shared by the ranks: more intra-op threads than cores makes every collective wait for a descheduled rank.
    TorchSharp.torch.set_num_threads(Math.Max(1, Environment.ProcessorCount / mpi.Size));
    var digits = DigitImages.Load(Path.Combine(AppContext.BaseDirectory, "data", "digits.csv.gz"));
    var train = TwoDigitDataset.Create(digits, [.. Enumerable.Range(0, 1_400)], trainImages, 2026);
    var test = TwoDigitDataset.Create(digits, [.. Enumerable.Range(1_400, digits.Labels.Count - 1_400)], 1_000, 2027);
    var trainer = new ShardTrainer(train, test);
    if (mpi.Rank == 0)
        Console.WriteLine($"MultiDigits, {train.Count} training images, {epochs} epochs, batch {ShardTrainer.BatchSize} split over {mpi.Size} ranks ({string.Join(" + ", ShardTrainer.Shards(mpi.Size))} images), Adam lr {ShardTrainer.LearningRate}");
    var rows = new List<string>();
    foreach (var method in ShardTrainer.Methods)
    {
        var alone = trainer.Train(method, null, epochs);
        var distributed = trainer.Train(method, communicator, epochs);
        var difference = alone.Parameters.Zip(distributed.Parameters, (a, b) => Math.Abs(a - b)).Max();
        rows.Add(string.Create(CultureInfo.InvariantCulture, $"| {method} | {100 * alone.Accuracy[0]:F2} / {100 * alone.Accuracy[1]:F2} | {100 * distributed.Accuracy[0]:F2} / {100 * distributed.Accuracy[1]:F2} | {difference:E1} |"));
    }
    if (mpi.Rank == 0)
    {
        Console.WriteLine();
        Console.WriteLine($"| method | test accuracy % (left / right), one process | same, {mpi.Size} ranks | max parameter difference |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        rows.ForEach(Console.WriteLine);
    }

    // Per-step cost against an ordinary data-parallel step (summed loss, all-reduced gradients), interleaved.
    var timings = trainer.Time(communicator, timedSteps);
    if (mpi.Rank == 0)
    {
        Console.WriteLine();
        Console.WriteLine($"| step ({mpi.Size} ranks, float32) | bytes handed to MPI per rank | ms per step (rank 0, median of {timedSteps}) | ÷ summed-loss step |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        var reference = timings[0].Milliseconds;
        foreach (var (name, bytes, milliseconds) in timings)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {bytes:N0} | {milliseconds:F2} | {milliseconds / reference:F2} |"));
    }
    return 0;
});

static int Option(string[] args, string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
}
