using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using GradSurgery.Tests.Optimizer;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace GradSurgery.Tests.Distributed;

/// <summary>
/// Data-parallel training with R in-process ranks (threads) equals one process on the whole batch, step
/// by step: parameter and representation mode, loss weightings alone and before a gradient method, equal
/// and uneven shards.
/// </summary>
public class DataParallelTests
{
    private const int Batch = 10;
    private const int Steps = 3;
    private const double LearningRate = 0.1;

    /// <summary>How one configuration trains: the methods (fresh per rank), and whether it uses representation mode.</summary>
    public sealed record Setup(string Name, Func<Func<IEnumerable<Parameter>, torch.optim.Optimizer>, GradientSurgeryOptions, (GradientSurgeryOptimizer Optimizer, ILossWeighting? Weighting)> Create, bool Representation = false);

    private static (GradientSurgeryOptimizer, ILossWeighting?) Gradient(Func<IEnumerable<Parameter>, torch.optim.Optimizer> inner, GradientSurgeryOptions options, IGramianWeighting weighting, TwoHeadModel model) =>
        (new GradientSurgeryOptimizer(inner(model.parameters()), weighting, options), null);

    public static TheoryData<string, int, bool> Cases()
    {
        var data = new TheoryData<string, int, bool>();
        foreach (var name in new[] { "MGDA", "PCGrad", "CAGrad", "UPGrad", "Aligned-MTL rep", "MGDA rep", "UW", "GLS", "FAMO", "DWA", "log+Mean", "IMTL-L+IMTL-G", "STCH rep" })
        {
            foreach (var ranks in new[] { 2, 3 })
            {
                data.Add(name, ranks, false);
                data.Add(name, ranks, true);
            }
        }
        return data;
    }

    private static (GradientSurgeryOptimizer Optimizer, bool Representation) Create(string name, TwoHeadModel model, GradientSurgeryOptions options)
    {
        torch.optim.Optimizer Sgd(IEnumerable<Parameter> extra) => optim.SGD(model.parameters().Concat(extra), LearningRate);
        var tasks = model.Heads.Length;
        return name switch
        {
            "MGDA" => (new GradientSurgeryOptimizer(Sgd([]), new Mgda(), options), false),
            "PCGrad" => (new GradientSurgeryOptimizer(Sgd([]), new PCGrad(seed: 3), options), false),
            "CAGrad" => (new GradientSurgeryOptimizer(Sgd([]), new CAGrad(), options), false),
            "UPGrad" => (new GradientSurgeryOptimizer(Sgd([]), new UPGrad(), options), false),
            "Aligned-MTL rep" => (new GradientSurgeryOptimizer(Sgd([]), new AlignedMtl(), options), true),
            "MGDA rep" => (new GradientSurgeryOptimizer(Sgd([]), new Mgda(), options), true),
            "UW" => WithWeighting(new UncertaintyWeighting(tasks, dtype: ScalarType.Float64), w => new GradientSurgeryOptimizer(Sgd(w.Parameters), w, options)),
            "GLS" => (new GradientSurgeryOptimizer(Sgd([]), new Gls(), options), false),
            "FAMO" => (new GradientSurgeryOptimizer(Sgd([]), new Famo(tasks, learningRate: 0.5), options), false),
            "DWA" => (new GradientSurgeryOptimizer(Sgd([]), new Dwa(tasks), options), false),
            "log+Mean" => (new GradientSurgeryOptimizer(Sgd([]), new LogLosses(), new GramianWeightedAggregator(new Mean()), options), false),
            "IMTL-L+IMTL-G" => WithWeighting(new ImtlL(tasks, dtype: ScalarType.Float64), w => new GradientSurgeryOptimizer(Sgd(w.Parameters), w, new GramianWeightedAggregator(new ImtlG()), options)),
            "STCH rep" => (new GradientSurgeryOptimizer(Sgd([]), new Stch(tasks, warmupEpochs: 0), new GramianWeightedAggregator(new Mgda()), options), true),
            _ => throw new ArgumentException(name, nameof(name)),
        };
    }

    private static (GradientSurgeryOptimizer, bool) WithWeighting<TWeighting>(TWeighting weighting, Func<TWeighting, GradientSurgeryOptimizer> create)
        where TWeighting : ILossWeighting => (create(weighting), false);

    /// <summary>Trains <see cref="Steps"/> steps on rows [from, from + count) of the batch and returns the parameters after each step.</summary>
    private static List<double[]> Train(string name, TwoHeadModel model, Tensor x, Tensor[] y, int from, int count, GradientSurgeryOptions options, bool uneven)
    {
        var (opt, representation) = Create(name, model, options);
        var after = new List<double[]>();
        using (opt)
        {
            for (var step = 0; step < Steps; step++)
            {
                using var scope = NewDisposeScope();
                var xs = x.narrow(0, from, count);
                var ys = y.Select(target => target.narrow(0, from, count)).ToArray();
                opt.zero_grad();
                if (uneven && options.Communicator is not null)
                    opt.LocalSampleCount = count;
                var (losses, z) = model.Losses(xs, ys);
                if (representation)
                    opt.Backward(losses, z);
                else
                    opt.Backward(losses);
                opt.step();
                if (step == 1)
                    opt.EndEpoch();
                after.Add([.. model.parameters().SelectMany(p => p.detach().flatten().data<double>().ToArray())]);
            }
        }
        return after;
    }

    /// <summary>Shard sizes: equal where R divides the batch after removing one row per rank beyond the first, else as even as possible.</summary>
    private static int[] Shards(int ranks, bool uneven)
    {
        var total = uneven ? Batch : Batch - (Batch % ranks);
        var sizes = Enumerable.Repeat(total / ranks, ranks).ToArray();
        for (var r = 0; r < total % ranks; r++)
            sizes[r]++;
        if (uneven && sizes.Distinct().Count() == 1)
        {
            sizes[0]++;
            sizes[^1]--;
        }
        return sizes;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ranks_on_shards_match_one_process_on_the_whole_batch_step_by_step(string name, int ranks, bool uneven)
    {
        var shards = Shards(ranks, uneven);
        var (x, y) = TwoHeadModel.Data(shards.Sum(), tasks: 3);
        var reference = Train(name, new TwoHeadModel(tasks: 3, seed: 5), x, y, 0, shards.Sum(), new GradientSurgeryOptions(), uneven);
        var hub = new ThreadedHub(ranks);
        // Rank 0 starts from the reference's weights; the others from other seeds, so the broadcast matters.
        var models = Enumerable.Range(0, ranks).Select(r => new TwoHeadModel(tasks: 3, seed: r == 0 ? 5 : 100 + r)).ToArray();
        var starts = shards.Select((_, r) => shards.Take(r).Sum()).ToArray();
        var results = new List<double[]>[ranks];
        Parallel.For(0, ranks, new ParallelOptions { MaxDegreeOfParallelism = ranks }, r =>
        {
            var options = new GradientSurgeryOptions { Communicator = new ThreadedCommunicator(hub, r) };
            results[r] = Train(name, models[r], x, y, starts[r], shards[r], options, uneven);
        });
        for (var r = 0; r < ranks; r++)
        {
            for (var step = 0; step < Steps; step++)
            {
                var error = reference[step].Zip(results[r][step], (a, b) => Math.Abs(a - b)).Max();
                var scale = reference[step].Max(Math.Abs);
                Assert.True(error <= 1e-10 * scale, $"{name}, {ranks} ranks {string.Join("+", shards)}, rank {r}, step {step}: max difference {error:E2}");
                Assert.Equal(results[0][step], results[r][step]);
            }
        }
    }
}
