using BenchmarkDotNet.Attributes;
using GradSurgery.Benchmarks.Infrastructure;
using static TorchSharp.torch;

namespace GradSurgery.Benchmarks.Aggregation;

/// <summary>
/// Aggregation of a given [T, P] gradient matrix into a kept [P] buffer, per method, against the
/// floor every Gram-space method must pay: one Gram M = G·Gᵀ (one read of G, T² numbers to the host)
/// plus one combine wᵀG into a preallocated output (a second read of G). <c>MatmulFloor</c> computes
/// the Gram as one plain matmul instead of the library's chunked product. <c>G.clone()</c> shows
/// what one full copy of G costs. Target: every method ≤ 1.15 × the floor for T ≤ 16, P ≥ 10⁶.
/// The elementwise aggregators (GradDrop, TrimmedMean) have no Gram-space form; their ratio to one
/// plain read of G (<c>Read</c>) is reported without a target.
/// </summary>
[BenchmarkCategory("Aggregation")]
public class AggregationBenchmarks
{
    private Tensor _gradients = null!;
    private Tensor _destination = null!;
    private Tensor _floorWeights = null!;
    private double[] _floorWeightArray = [];
    private Tensor _gemmLeft = null!;
    private Tensor _gemmRight = null!;
    private readonly Dictionary<string, IGradientAggregator> _methods = new();

    [ParamsSource(nameof(TaskCounts))]
    public int T { get; set; }

    [ParamsSource(nameof(Sizes))]
    public int P { get; set; }

    public static IEnumerable<int> TaskCounts => BenchmarkScale.Grid(2, 4, 8, 16, 32);

    public static IEnumerable<int> Sizes => BenchmarkScale.Grid(100_000, 1_000_000, 10_000_000);

    /// <summary>The gradients' dtype: float32 in BenchmarkDotNet runs; the paired limit tables (<c>--limit</c>) also set float64, bfloat16 and float16.</summary>
    public ScalarType DType { get; set; } = ScalarType.Float32;

    [GlobalSetup]
    public void Setup()
    {
        _gradients = GradientFixture.Create(T, P, DType);
        _destination = zeros(P, dtype: DType, device: TorchDevice.Current);
        _floorWeights = ones(T, dtype: DType, device: TorchDevice.Current);
        _floorWeightArray = Enumerable.Repeat(1.0, T).ToArray();
        _gemmLeft = randn(MachineLimit.GemmSide, MachineLimit.GemmSide, dtype: MachineLimit.Accumulation(DType), device: TorchDevice.Current);
        _gemmRight = randn(MachineLimit.GemmSide, MachineLimit.GemmSide, dtype: MachineLimit.Accumulation(DType), device: TorchDevice.Current);
        foreach (var name in BenchmarkMethods.All)
        {
            _methods[name] = BenchmarkMethods.Create(name);
        }

        _methods[nameof(GradDrop)] = new GradDrop(seed: 0);
        _methods[nameof(TrimmedMean)] = new TrimmedMean(T >= 3 ? 1 : 0);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _gradients.Dispose();
        _destination.Dispose();
        _floorWeights.Dispose();
        _gemmLeft.Dispose();
        _gemmRight.Dispose();
    }

    /// <summary>
    /// The floor: the library's Gram (one read of G, see <c>GradientMatrix.ComputeGramian</c>) to the
    /// host, then the library's combine wᵀG into the kept output with fixed weights. A method's ratio to it is what its
    /// validation, weights, diagnostics and weight upload add.
    /// </summary>
    [Benchmark(Baseline = true)]
    public double Floor()
    {
        using var scope = NewDisposeScope();
        var input = GradientMatrix.KernelInput(_gradients);
        var gramian = GradientMatrix.ComputeGramian(input);
        GradientMatrix.Combine(input, _floorWeightArray, _destination);
        TorchDevice.Synchronize();
        return gramian[0, 0];
    }

    /// <summary>The same with the Gram as one plain <c>G.matmul(G.T)</c>: what the chunked Gram saves.</summary>
    [Benchmark]
    public double MatmulFloor()
    {
        using var scope = NewDisposeScope();
        var gram = _gradients.matmul(_gradients.T).to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        _destination.addmv_(_gradients.T, _floorWeights, beta: 0, alpha: 1);
        TorchDevice.Synchronize();
        return gram[0];
    }

    /// <summary>One full copy of G, for scale.</summary>
    [Benchmark]
    public void Clone()
    {
        using var copy = _gradients.clone();
        TorchDevice.Synchronize();
    }

    [Benchmark] public GradientDiagnostics Mean() => Run("Mean");

    [Benchmark] public GradientDiagnostics Sum() => Run("Sum");

    [Benchmark] public GradientDiagnostics MGDA() => Run("MGDA");

    [Benchmark] public GradientDiagnostics PCGrad() => Run("PCGrad");

    [Benchmark] public GradientDiagnostics CAGrad() => Run("CAGrad");

    [Benchmark] public GradientDiagnostics GradOPS() => Run("GradOPS");

    [Benchmark] public GradientDiagnostics AlignedMTL() => Run("AlignedMTL");

    [Benchmark] public GradientDiagnostics UPGrad() => Run("UPGrad");

    [Benchmark] public GradientDiagnostics DualProj() => Run("DualProj");

    [Benchmark] public GradientDiagnostics IMTLG() => Run("IMTLG");

    [Benchmark] public GradientDiagnostics NashMTL() => Run("NashMTL");

    [Benchmark] public GradientDiagnostics GradVac() => Run("GradVac");

    [Benchmark] public GradientDiagnostics FairGrad() => Run("FairGrad");

    [Benchmark] public GradientDiagnostics ConFIG() => Run("ConFIG");

    [Benchmark] public GradientDiagnostics RLW() => Run("RLW");

    /// <summary>One plain read of G (<c>G.sum()</c>): the unit of the elementwise aggregators' ratios.</summary>
    [Benchmark]
    public double Read()
    {
        using var scope = NewDisposeScope();
        var sum = _gradients.sum();
        TorchDevice.Synchronize();
        return sum.to_type(ScalarType.Float64).item<double>();
    }

    /// <summary>
    /// The machine limit's bandwidth floor: two plain reads of G (<c>G.sum()</c> twice), the least any
    /// Gram-space method must read (one pass for the Gram, one for the combine).
    /// </summary>
    [Benchmark]
    public double BandwidthFloor() => Read() + Read();

    /// <summary>
    /// One square product at the peak GEMM rate (<see cref="MachineLimit.GemmSide"/>³ multiply-adds in
    /// the accumulation dtype), measured beside every grid point: the compute floor is T(T+1)/2·P
    /// multiply-adds at this rate (see <see cref="MachineLimit"/>).
    /// </summary>
    [Benchmark]
    public void PeakGemm()
    {
        using var product = _gemmLeft.matmul(_gemmRight);
        TorchDevice.Synchronize();
    }

    /// <summary>GradDrop on the device (sign purity, one draw of P uniforms, the masked sum, and the Gram for its checks and diagnostics).</summary>
    [Benchmark]
    public GradientDiagnostics GradDrop() => Run(nameof(GradDrop));

    /// <summary>The coordinate-wise trimmed mean (f = 1; f = 0, a plain mean, at T = 2), sorting each column on the device.</summary>
    [Benchmark]
    public GradientDiagnostics TrimmedMean() => Run(nameof(TrimmedMean));

    private GradientDiagnostics Run(string method)
    {
        var diagnostics = _methods[method].Aggregate(_gradients, _destination);
        TorchDevice.Synchronize();
        return diagnostics;
    }
}
