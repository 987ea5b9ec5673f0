using BenchmarkDotNet.Attributes;
using GradSurgery.Benchmarks.Infrastructure;
using static TorchSharp.torch;

namespace GradSurgery.Benchmarks.Aggregation;

/// <summary>
/// Gram-space PCGrad and GradOPS (the baselines of their categories) against literal parameter-space
/// implementations that work like the Python references. The Ratio column of a literal row is the
/// speed-up of the Gram-space path. Targets at P = 10⁶: ≥ 5× at T = 8, ≥ 10× at T = 16.
/// </summary>
[BenchmarkCategory("Literal")]
public class LiteralBaselineBenchmarks
{
    private const int OrderSeed = 0;

    /// <summary>float32 over P = 10⁶: the two paths round differently, by far less than this.</summary>
    private const double AgreementTolerance = 1e-3;
    private Tensor _gradients = null!;
    private Tensor _destination = null!;
    private IGradientAggregator _pcgrad = null!;
    private IGradientAggregator _gradOps = null!;
    private readonly GradOps _gradOpsWeighting = new();
    private Random _random = null!;

    [ParamsSource(nameof(TaskCounts))]
    public int T { get; set; }

    [ParamsSource(nameof(Sizes))]
    public int P { get; set; }

    public static IEnumerable<int> TaskCounts => BenchmarkScale.Grid(2, 4, 8, 16);

    public static IEnumerable<int> Sizes => BenchmarkScale.Grid(100_000, 1_000_000);

    [GlobalSetup]
    public void Setup()
    {
        _gradients = GradientFixture.Create(T, P);
        _destination = zeros(P, device: TorchDevice.Current);
        _pcgrad = new GramianWeightedAggregator(new PCGrad(seed: OrderSeed));
        _gradOps = new GramianWeightedAggregator(_gradOpsWeighting);
        _random = new Random(OrderSeed);
        CheckAgreement();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _gradients.Dispose();
        _destination.Dispose();
    }

    [BenchmarkCategory("PCGrad"), Benchmark(Baseline = true)]
    public GradientDiagnostics GramPCGrad() => Synchronized(_pcgrad.Aggregate(_gradients, _destination));

    [BenchmarkCategory("PCGrad"), Benchmark]
    public void LiteralPCGradRun()
    {
        LiteralPCGrad.Aggregate(_gradients, _destination, _random);
        TorchDevice.Synchronize();
    }

    [BenchmarkCategory("GradOPS"), Benchmark(Baseline = true)]
    public GradientDiagnostics GramGradOPS() => Synchronized(_gradOps.Aggregate(_gradients, _destination));

    [BenchmarkCategory("GradOPS"), Benchmark]
    public void LiteralGradOPSRun()
    {
        LiteralGradOps.Aggregate(_gradients, _destination, _gradOpsWeighting.Alpha);
        TorchDevice.Synchronize();
    }

    /// <summary>The literal and Gram-space paths must compute the same update, or the comparison means nothing.</summary>
    private void CheckAgreement()
    {
        using var scope = NewDisposeScope();
        var literal = zeros_like(_destination);
        LiteralPCGrad.Aggregate(_gradients, literal, null);
        new GramianWeightedAggregator(new PCGrad(order: PCGradTaskOrder.Fixed)).Aggregate(_gradients, _destination);
        Require(literal, "PCGrad");
        LiteralGradOps.Aggregate(_gradients, literal, _gradOpsWeighting.Alpha);
        _gradOps.Aggregate(_gradients, _destination);
        Require(literal, "GradOPS");
    }

    private void Require(Tensor literal, string method)
    {
        if (!literal.allclose(_destination, rtol: AgreementTolerance, atol: AgreementTolerance * _destination.abs().max().item<float>()))
        {
            throw new InvalidOperationException($"Literal and Gram-space {method} disagree at T = {T}, P = {P}.");
        }
    }

    private static GradientDiagnostics Synchronized(GradientDiagnostics diagnostics)
    {
        TorchDevice.Synchronize();
        return diagnostics;
    }
}
