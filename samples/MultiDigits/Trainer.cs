using System.Diagnostics;
using static TorchSharp.torch;

namespace GradSurgery.Samples.MultiDigits;

/// <summary>Trains one configuration on the two-digit data and measures it after every epoch.</summary>
internal sealed class Trainer
{
    /// <summary>Adam's learning rate for every row (the papers' MultiMNIST setups use Adam at 1e-3).</summary>
    public const double LearningRate = 1e-3;

    /// <summary>Images per optimizer step.</summary>
    public const int BatchSize = 64;

    private readonly TwoDigitDataset _train;
    private readonly TwoDigitDataset _test;
    private readonly Device _device;

    /// <summary>Creates a trainer on data already on <paramref name="device"/>.</summary>
    public Trainer(TwoDigitDataset train, TwoDigitDataset test, Device device)
    {
        _train = train;
        _test = test;
        _device = device;
    }

    /// <summary>
    /// Trains <paramref name="configuration"/> for <paramref name="epochs"/> epochs from the initial
    /// weights and batch order of <paramref name="seed"/> (the same for every configuration);
    /// <paramref name="epochDone"/> is called after each epoch.
    /// </summary>
    public RunResult Train(Configuration configuration, int epochs, int seed, Action epochDone)
    {
        manual_seed(seed);
        using var net = new MultiTaskNet(TwoDigitDataset.Features, TwoDigitDataset.TaskCount, TwoDigitDataset.Classes, _device);
        var tasks = configuration.SingleTask is { } single ? new[] { single } : Enumerable.Range(0, TwoDigitDataset.TaskCount).ToArray();
        var setup = configuration.Method?.Invoke(net);
        var inner = optim.Adam(net.Parameters(tasks).Concat(setup?.LossWeighting?.Parameters ?? []), lr: LearningRate);
        using var surgery = setup?.Wrap(inner, new GradientSurgeryOptions { SharedParameters = net.Trunk.parameters() });
        var result = new RunResult(TwoDigitDataset.TaskCount);
        var order = new Random(seed);
        var indices = Enumerable.Range(0, (int)_train.Count).ToArray();
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            net.Train(true);
            order.Shuffle(indices);
            var lossSum = 0.0;
            var batches = 0;
            for (var start = 0; start + BatchSize <= indices.Length; start += BatchSize)
            {
                var began = Stopwatch.GetTimestamp();
                double elapsed;
                using var scope = NewDisposeScope();
                var batch = tensor(indices.AsSpan(start, BatchSize).ToArray().Select(i => (long)i).ToArray(), device: _device);
                var z = net.Trunk.call(_train.Images.index_select(0, batch));
                var losses = tasks.Select(t => nn.functional.cross_entropy(net.Heads[t].call(z), _train.Labels[t].index_select(0, batch))).ToList();
                if (surgery is not null)
                {
                    surgery.zero_grad();
                    surgery.Backward(losses);
                    surgery.step();
                    elapsed = Stopwatch.GetElapsedTime(began).TotalSeconds;
                    if (surgery.LastDiagnostics is { } diagnostics)
                    {
                        result.ConflictingPairsSum += diagnostics.ConflictingPairs;
                        result.ConditionNumberSum += diagnostics.ConditionNumber;
                        result.DiagnosedSteps++;
                    }
                }
                else
                {
                    inner.zero_grad();
                    losses.Aggregate((a, b) => a + b).backward();
                    inner.step();
                    elapsed = Stopwatch.GetElapsedTime(began).TotalSeconds;
                }

                // The first epoch warms the JIT and the allocator's caches; it is not timed (unless it is the only one).
                if (epoch > 0 || epochs == 1)
                {
                    result.StepSeconds += elapsed;
                    result.Steps++;
                }


                lossSum += losses.Sum(l => l.item<float>());
                batches++;
            }

            surgery?.EndEpoch();
            result.LossCurve.Add(lossSum / batches);
            var accuracy = Evaluate(net);
            result.AccuracyCurve.Add(tasks.Average(t => accuracy[t]));
            if (epoch == epochs - 1)
            {
                for (var t = 0; t < TwoDigitDataset.TaskCount; t++)
                {
                    result.TestAccuracy[t] = tasks.Contains(t) ? accuracy[t] : double.NaN;
                }
            }

            epochDone();
        }

        if (surgery is null)
        {
            inner.Dispose();
        }

        (setup?.Aggregator as IDisposable)?.Dispose();

        return result;
    }

    private double[] Evaluate(MultiTaskNet net)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        net.Train(false);
        var z = net.Trunk.call(_test.Images);
        return [.. net.Heads.Select((head, t) => head.call(z).argmax(1).eq(_test.Labels[t]).to(float64).mean().item<double>())];
    }
}
