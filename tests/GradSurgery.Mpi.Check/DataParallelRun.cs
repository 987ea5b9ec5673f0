using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradSurgery.Mpi.Check;

/// <summary>One configuration: a float64 trunk (Linear-Tanh) with T regression heads, trained a few SGD steps.</summary>
internal sealed class DataParallelRun
{
    /// <summary>Relative agreement required between one process and R ranks (float64 round-off).</summary>
    public const double Tolerance = 1e-10;

    private const int Tasks = 3;
    private const int Inputs = 4;
    private const int Hidden = 8;
    private const int Batch = 10;
    private const int Steps = 3;
    private const double LearningRate = 0.1;

    private readonly string _method;
    private readonly Tensor _x;
    private readonly Tensor[] _y;

    public DataParallelRun(string method, ICommunicator communicator, bool uneven)
    {
        _method = method;
        var ranks = communicator.Size;
        var total = uneven ? Batch : Batch - (Batch % ranks);
        Shards = Enumerable.Repeat(total / ranks, ranks).ToArray();
        for (var r = 0; r < total % ranks; r++)
            Shards[r]++;
        if (uneven && Shards.Distinct().Count() == 1 && ranks > 1)
        {
            Shards[0]++;
            Shards[^1]--;
        }
        torch.manual_seed(7);
        _x = torch.randn(total, Inputs, dtype: ScalarType.Float64);
        var a = torch.randn(Inputs, 1, dtype: ScalarType.Float64);
        _y = [.. Enumerable.Range(0, Tasks).Select(t => ((t % 2 == 0 ? 1.0 : -1.0) * _x.matmul(a)) + (0.3 * t * _x.narrow(1, 0, 1).pow(2)))];
    }

    public static IReadOnlyList<string> Methods { get; } = ["MGDA", "CAGrad", "PCGrad", "UPGrad", "Aligned-MTL (representation)", "UW", "FAMO", "log losses + IMTL-G"];

    public int[] Shards { get; }

    /// <summary>The parameters after each step: alone on the whole batch (<paramref name="communicator"/> null) or on this rank's shard.</summary>
    public List<double[]> Train(ICommunicator? communicator, Action? afterFirstStep = null)
    {
        var rank = communicator?.Rank ?? 0;
        // Rank 0 starts from the reference's weights, the others elsewhere: the broadcast must fix that.
        torch.manual_seed(rank == 0 ? 11 : 100 + rank);
        var trunk = nn.Linear(Inputs, Hidden, dtype: ScalarType.Float64);
        var heads = Enumerable.Range(0, Tasks).Select(_ => nn.Linear(Hidden, 1, dtype: ScalarType.Float64)).ToArray();
        var parameters = trunk.parameters().Concat(heads.SelectMany(h => h.parameters())).ToArray();
        var options = new GradientSurgeryOptions { Communicator = communicator };
        var (optimizer, representation) = Create(parameters, options);
        var (from, count) = communicator is null ? (0, Shards.Sum()) : (Shards.Take(rank).Sum(), Shards[rank]);
        var after = new List<double[]>();
        using (optimizer)
        {
            for (var step = 0; step < Steps; step++)
            {
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                if (communicator is not null)
                    optimizer.LocalSampleCount = count;
                var z = torch.tanh(trunk.call(_x.narrow(0, from, count)));
                var losses = heads.Select((h, t) => nn.functional.mse_loss(h.call(z), _y[t].narrow(0, from, count))).ToList();
                if (representation)
                    optimizer.Backward(losses, z);
                else
                    optimizer.Backward(losses);
                optimizer.step();
                after.Add([.. parameters.SelectMany(p => p.detach().flatten().data<double>().ToArray())]);
                if (step == 0 && communicator is not null)
                    afterFirstStep?.Invoke();
            }
        }
        return after;
    }

    private (GradientSurgeryOptimizer Optimizer, bool Representation) Create(Parameter[] parameters, GradientSurgeryOptions options)
    {
        optim.Optimizer Sgd(IEnumerable<Parameter> extra) => optim.SGD(parameters.Concat(extra), LearningRate);
        switch (_method)
        {
            case "MGDA": return (new GradientSurgeryOptimizer(Sgd([]), new Mgda(), options), false);
            case "CAGrad": return (new GradientSurgeryOptimizer(Sgd([]), new CAGrad(), options), false);
            case "PCGrad": return (new GradientSurgeryOptimizer(Sgd([]), new PCGrad(seed: 3), options), false);
            case "UPGrad": return (new GradientSurgeryOptimizer(Sgd([]), new UPGrad(), options), false);
            case "Aligned-MTL (representation)": return (new GradientSurgeryOptimizer(Sgd([]), new AlignedMtl(), options), true);
            case "UW":
                var uw = new UncertaintyWeighting(Tasks, dtype: ScalarType.Float64);
                return (new GradientSurgeryOptimizer(Sgd(uw.Parameters), uw, options), false);
            case "FAMO": return (new GradientSurgeryOptimizer(Sgd([]), new Famo(Tasks, learningRate: 0.5), options), false);
            case "log losses + IMTL-G": return (new GradientSurgeryOptimizer(Sgd([]), new LogLosses(), new GramianWeightedAggregator(new ImtlG()), options), false);
            default: throw new ArgumentException(_method);
        }
    }
}
