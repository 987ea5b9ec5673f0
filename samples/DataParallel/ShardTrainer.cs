using System.Diagnostics;
using GradSurgery.Samples.MultiDigits;
using static TorchSharp.torch;

namespace GradSurgery.Samples.DataParallel;

/// <summary>What one training run ended with.</summary>
internal sealed record RunOutcome(double[] Parameters, double[] Accuracy);

/// <summary>Trains the MultiDigits network with a method, alone on whole batches or data-parallel on this rank's shard of each.</summary>
internal sealed class ShardTrainer(TwoDigitDataset train, TwoDigitDataset test)
{
    public const int BatchSize = 64;
    public const double LearningRate = 1e-3;
    private const int Seed = 0;

    /// <summary>A gradient method, a representation-mode one and a loss weighting.</summary>
    public static IReadOnlyList<string> Methods { get; } = ["MGDA", "CAGrad", "Aligned-MTL (representation)", "FAMO"];

    /// <summary>The images each rank takes of a batch: as even as possible, the first ranks one more.</summary>
    public static int[] Shards(int ranks) =>
        [.. Enumerable.Range(0, ranks).Select(r => (BatchSize / ranks) + (r < BatchSize % ranks ? 1 : 0))];

    public RunOutcome Train(string method, ICommunicator? communicator, int epochs)
    {
        manual_seed(Seed);
        using var net = new MultiTaskNet(TwoDigitDataset.Features, TwoDigitDataset.TaskCount, TwoDigitDataset.Classes, CPU);
        using var opt = Create(method, net, communicator, out var representation);
        var order = new Random(Seed);
        var indices = Enumerable.Range(0, (int)train.Count).ToArray();
        var (from, count) = Shard(communicator);
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            order.Shuffle(indices);
            for (var start = 0; start + BatchSize <= indices.Length; start += BatchSize)
            {
                using var scope = NewDisposeScope();
                var batch = tensor(indices.AsSpan(start + from, count).ToArray().Select(i => (long)i).ToArray());
                Step(net, opt, batch, representation, communicator is null ? null : count);
            }
        }
        using var noGrad = no_grad();
        var z = net.Trunk.call(test.Images);
        var accuracy = net.Heads.Select((h, t) => h.call(z).argmax(1).eq(test.Labels[t]).to(float64).mean().item<double>()).ToArray();
        return new RunOutcome([.. net.Parameters().SelectMany(p => p.detach().flatten().to(float64).data<double>().ToArray())], accuracy);
    }

    /// <summary>Median ms per step and bytes per step of each method against the plain data-parallel summed-loss step, interleaved.</summary>
    public List<(string Name, long Bytes, double Milliseconds)> Time(CountingCommunicator communicator, int steps)
    {
        manual_seed(Seed);
        var names = new List<string> { "summed loss, all-reduced gradients (ordinary data parallelism)" };
        names.AddRange(Methods);
        var nets = names.Select(_ => new MultiTaskNet(TwoDigitDataset.Features, TwoDigitDataset.TaskCount, TwoDigitDataset.Classes, CPU)).ToList();
        var plainAdam = optim.Adam(nets[0].Parameters(), LearningRate);
        var optimizers = Methods.Select((m, i) => (Optimizer: Create(m, nets[i + 1], communicator, out var representation), Representation: representation)).ToList();
        var times = names.Select(_ => new List<double>()).ToList();
        var bytes = new long[names.Count];
        var (from, count) = Shard(communicator);
        for (var step = -3; step < steps; step++)
        {
            var batch = tensor(Enumerable.Range(((step + 3) * BatchSize % ((int)train.Count - BatchSize)) + from, count).Select(i => (long)i).ToArray());
            for (var k = 0; k < names.Count; k++)
            {
                communicator.Reset();
                var clock = Stopwatch.StartNew();
                using (var scope = NewDisposeScope())
                {
                    if (k == 0)
                        PlainStep(nets[0], plainAdam, batch, communicator);
                    else
                        Step(nets[k], optimizers[k - 1].Optimizer, batch, optimizers[k - 1].Representation, null);
                }
                if (step >= 0)
                {
                    times[k].Add(clock.Elapsed.TotalMilliseconds);
                    bytes[k] = communicator.Bytes;
                }
            }
        }
        foreach (var (optimizer, _) in optimizers)
            optimizer.Dispose();
        plainAdam.Dispose();
        nets.ForEach(n => n.Dispose());
        return [.. names.Select((n, k) => (n, bytes[k], times[k].Order().ElementAt(times[k].Count / 2)))];
    }

    private (int From, int Count) Shard(ICommunicator? communicator)
    {
        if (communicator is null)
            return (0, BatchSize);
        var shards = Shards(communicator.Size);
        return (shards.Take(communicator.Rank).Sum(), shards[communicator.Rank]);
    }

    private void Step(MultiTaskNet net, GradientSurgeryOptimizer opt, Tensor batch, bool representation, int? localSamples)
    {
        opt.zero_grad();
        opt.LocalSampleCount = localSamples;
        var z = net.Trunk.call(train.Images.index_select(0, batch));
        var losses = net.Heads.Select((h, t) => nn.functional.cross_entropy(h.call(z), train.Labels[t].index_select(0, batch))).ToList();
        if (representation)
            opt.Backward(losses, z);
        else
            opt.Backward(losses);
        opt.step();
    }

    private void PlainStep(MultiTaskNet net, optim.Optimizer adam, Tensor batch, ICommunicator communicator)
    {
        adam.zero_grad();
        var z = net.Trunk.call(train.Images.index_select(0, batch));
        net.Heads.Select((h, t) => nn.functional.cross_entropy(h.call(z), train.Labels[t].index_select(0, batch))).Aggregate((a, b) => a + b).backward();
        using (no_grad())
        {
            foreach (var p in net.Parameters())
            {
                p.grad!.div_(communicator.Size);
                communicator.AllReduceSum(p.grad);
            }
        }
        adam.step();
    }

    private static GradientSurgeryOptimizer Create(string method, MultiTaskNet net, ICommunicator? communicator, out bool representation)
    {
        var options = new GradientSurgeryOptions { Communicator = communicator, SharedParameters = net.Trunk.parameters() };
        var adam = optim.Adam(net.Parameters(), LearningRate);
        representation = method.Contains("representation", StringComparison.Ordinal);
        return method switch
        {
            "MGDA" => new GradientSurgeryOptimizer(adam, new Mgda(), options),
            "CAGrad" => new GradientSurgeryOptimizer(adam, new CAGrad(), options),
            "Aligned-MTL (representation)" => new GradientSurgeryOptimizer(adam, new AlignedMtl(), options),
            "FAMO" => new GradientSurgeryOptimizer(adam, new Famo(TwoDigitDataset.TaskCount), options),
            _ => throw new ArgumentException(method, nameof(method)),
        };
    }
}
