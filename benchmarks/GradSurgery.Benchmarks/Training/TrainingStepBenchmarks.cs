using BenchmarkDotNet.Attributes;
using GradSurgery.Benchmarks.Infrastructure;
using static TorchSharp.torch;

namespace GradSurgery.Benchmarks.Training;

/// <summary>
/// One training step of <see cref="MultiHeadMlp"/> (batch 64) per scenario:
/// <list type="bullet">
/// <item><c>SummedLoss</c>: plain Adam on Σ Lₜ, the ordinary multi-task step (reference).</item>
/// <item><c>ForwardTBackward</c>: forward + T backward passes into the parameters' <c>.grad</c>: the unavoidable cost of T gradients.</item>
/// <item><c>Collect</c>: the wrapper's zero_grad + forward + collection of the T gradients into its [T, P] buffer, no aggregation.</item>
/// <item><c>AggregationFloor</c>: Gram of the kept [T, P] buffer to the host + one combine into a kept [P] output.</item>
/// <item><c>InnerStep</c>: Adam's step alone.</item>
/// <item><c>Wrapper:M</c>: a full <see cref="GradientSurgeryOptimizer"/> step with method M (parameter mode).</item>
/// <item><c>Representation:M</c>: a full wrapper step in representation mode.</item>
/// <item><c>Loss:M</c>: a full wrapper step with loss weighting M alone (one backward of the weighted sum).</item>
/// </list>
/// Targets (ratios of this run): Collect ≤ 1.05 × ForwardTBackward; Wrapper ≤ 1.10 × (ForwardTBackward +
/// AggregationFloor + InnerStep); Representation ≤ 1.3 × SummedLoss; Loss ≤ 1.05 × SummedLoss (GradNorm reported).
/// </summary>
[BenchmarkCategory("Training")]
[MemoryDiagnoser]
public class TrainingStepBenchmarks
{
    private MultiHeadMlp _model = null!;
    private optim.Optimizer _inner = null!;
    private GradientSurgeryOptimizer? _wrapper;
    private Tensor _buffer = null!;
    private Tensor _update = null!;
    private Tensor _weights = null!;
    private Action _step = null!;

    [ParamsSource(nameof(TrunkSizes))]
    public string Trunk { get; set; } = "";

    [ParamsSource(nameof(TaskCounts))]
    public int T { get; set; }

    [ParamsSource(nameof(Scenarios))]
    public string Scenario { get; set; } = "";

    public static IEnumerable<string> TrunkSizes => BenchmarkScale.Grid("1M", "10M");

    public static IEnumerable<int> TaskCounts => BenchmarkScale.Grid(2, 4, 8);

    public static IEnumerable<string> Scenarios => BenchmarkScale.Smoke
        ? ["SummedLoss", "ForwardTBackward", "Collect", "AggregationFloor", "InnerStep", "Wrapper:PCGrad", "Representation:AlignedMTL", "Loss:UW", "Loss:GradNorm"]
        : ["SummedLoss", "ForwardTBackward", "Collect", "AggregationFloor", "InnerStep",
           .. BenchmarkMethods.Training.Select(m => $"Wrapper:{m}"),
           "Representation:Sum", "Representation:AlignedMTL",
           .. BenchmarkMethods.LossWeightings.Select(m => $"Loss:{m}")];

    [GlobalSetup]
    public void Setup()
    {
        _model = new MultiHeadMlp(Trunk, T, TorchDevice.Current);
        var parts = Scenario.Split(':');
        var lossWeighting = parts[0] == "Loss" ? BenchmarkMethods.LossWeighting(parts[1], _model) : null;
        _inner = optim.Adam(_model.Parameters.Concat(lossWeighting?.Parameters ?? []), lr: 1e-4);
        var size = _model.SharedParameterCount;
        _buffer = zeros(T, size, device: TorchDevice.Current);
        _update = zeros(size, device: TorchDevice.Current);
        _weights = ones(T, device: TorchDevice.Current);
        if (lossWeighting is not null)
        {
            _wrapper = new GradientSurgeryOptimizer(_inner, lossWeighting);
        }
        else if (parts.Length == 2)
        {
            _wrapper = new GradientSurgeryOptimizer(_inner, BenchmarkMethods.Weighting(parts[1]), new GradientSurgeryOptions { SharedParameters = _model.Trunk.parameters() });
        }

        _step = parts[0] switch
        {
            "SummedLoss" => SummedLoss,
            "ForwardTBackward" => ForwardTBackward,
            "Collect" => Collect,
            "AggregationFloor" => AggregationFloor,
            "InnerStep" => InnerStep,
            "Wrapper" or "Loss" => WrapperStep,
            "Representation" => RepresentationStep,
            _ => throw new ArgumentOutOfRangeException(nameof(Scenario), Scenario, "Unknown scenario."),
        };
        if (parts[0] is "InnerStep" or "Collect")
        {
            // Gradients to step with, and (for Collect) the wrapper that collects them.
            _wrapper = new GradientSurgeryOptimizer(_inner, new Sum(), new GradientSurgeryOptions { SharedParameters = _model.Trunk.parameters() });
            WrapperStep();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_wrapper is not null)
        {
            _wrapper.Dispose();
        }
        else
        {
            _inner.Dispose();
        }

        _model.Dispose();
        _buffer.Dispose();
        _update.Dispose();
        _weights.Dispose();
    }

    [Benchmark]
    public void Step()
    {
        _step();
        TorchDevice.Synchronize();
    }

    /// <summary>
    /// The plain summed-loss step on this instance's own model and Adam (for paired comparisons on the same
    /// memory: separate model instances were measured up to 20% apart on identical steps).
    /// </summary>
    public void SummedStep()
    {
        SummedLoss();
        TorchDevice.Synchronize();
    }

    private void SummedLoss()
    {
        using var scope = NewDisposeScope();
        _inner.zero_grad();
        var (_, losses) = _model.Forward();
        losses.Aggregate((a, b) => a + b).backward();
        _inner.step();
    }

    private void ForwardTBackward()
    {
        using var scope = NewDisposeScope();
        _inner.zero_grad();
        var (_, losses) = _model.Forward();
        for (var t = 0; t < losses.Count; t++)
        {
            losses[t].backward(retain_graph: t < losses.Count - 1);
        }
    }

    private void Collect()
    {
        using var scope = NewDisposeScope();
        _wrapper!.zero_grad();
        var (_, losses) = _model.Forward();
        _wrapper.CollectTaskGradients(losses);
    }

    private void AggregationFloor()
    {
        using var scope = NewDisposeScope();
        var gramian = GradientMatrix.ComputeGramian(_buffer);
        _update.addmv_(_buffer.T, _weights, beta: 0, alpha: gramian[0, 0] >= 0 ? 1 : 0);
    }

    private void InnerStep()
    {
        using var scope = NewDisposeScope();
        _inner.step();
    }

    private void WrapperStep()
    {
        using var scope = NewDisposeScope();
        _wrapper!.zero_grad();
        var (_, losses) = _model.Forward();
        _wrapper.Backward(losses);
        _wrapper.step();
    }

    private void RepresentationStep()
    {
        using var scope = NewDisposeScope();
        _wrapper!.zero_grad();
        var (z, losses) = _model.Forward();
        _wrapper.Backward(losses, z);
        _wrapper.step();
    }
}
