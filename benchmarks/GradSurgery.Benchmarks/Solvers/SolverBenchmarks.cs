using BenchmarkDotNet.Attributes;
using GradSurgery.Benchmarks.Infrastructure;

namespace GradSurgery.Benchmarks.Solvers;

/// <summary>
/// The host-side T×T work of each method: a fresh <see cref="Gramian"/> (as every step makes one)
/// turned into task weights. Targets at T = 16: under 50 µs for the simplex solves, the eigen-steps
/// and the closed forms; under 200 µs for the iterative ones (Nash-MTL, FairGrad, UPGrad). <c>Diagnostics</c> is what <see cref="GradientDiagnostics"/>
/// adds per step (cosines, conflicts, κ from the eigenvalues).
/// </summary>
[BenchmarkCategory("Solvers")]
public class SolverBenchmarks
{
    /// <summary>Dimension of the synthetic gradients: above the largest T, so the Gram has full rank.</summary>
    private const int Dimension = 512;

    /// <summary>Weight of a shared direction, as in <see cref="Aggregation.GradientFixture"/>: about half the pairs conflict.</summary>
    private const double SharedWeight = 0.1;

    private const int Seed = 7;

    private double[,] _values = null!;
    private readonly Mgda _mgda = new();
    private readonly CAGrad _cagrad = new();
    private readonly AlignedMtl _alignedMtl = new();
    private readonly PCGrad _pcgrad = new(seed: 0);
    private readonly GradOps _gradOps = new();
    private readonly UPGrad _upgrad = new();
    private readonly DualProj _dualProj = new();
    private readonly ImtlG _imtlG = new();
    private readonly NashMtl _nashMtl = new();
    private readonly GradVac _gradVac = new(seed: 0);
    private readonly FairGrad _fairGrad = new();
    private readonly ConFig _conFig = new();
    private readonly Rlw _rlw = new(0);
    private readonly Krum _krum = new(0, 2);

    [ParamsSource(nameof(TaskCounts))]
    public int T { get; set; }

    public static IEnumerable<int> TaskCounts => BenchmarkScale.Grid(2, 4, 8, 16, 32, 64);

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(Seed);
        var shared = Enumerable.Range(0, Dimension).Select(_ => Gaussian(random)).ToArray();
        var gradients = new double[T, Dimension];
        for (var t = 0; t < T; t++)
        {
            for (var p = 0; p < Dimension; p++)
            {
                gradients[t, p] = Gaussian(random) + (SharedWeight * shared[p]);
            }
        }

        _values = Gramian.FromGradients(gradients).ToArray();
    }

    [Benchmark(Baseline = true)]
    public Gramian NewGramian() => Fresh();

    [Benchmark] public double[] MGDA() => _mgda.ComputeWeights(Fresh());

    [Benchmark] public double[] CAGrad() => _cagrad.ComputeWeights(Fresh());

    [Benchmark] public double[] AlignedMTL() => _alignedMtl.ComputeWeights(Fresh());

    [Benchmark] public double[] PCGrad() => _pcgrad.ComputeWeights(Fresh());

    [Benchmark] public double[] GradOPS() => _gradOps.ComputeWeights(Fresh());

    [Benchmark] public double[] UPGrad() => _upgrad.ComputeWeights(Fresh());

    [Benchmark] public double[] DualProj() => _dualProj.ComputeWeights(Fresh());

    [Benchmark] public double[] IMTLG() => _imtlG.ComputeWeights(Fresh());

    [Benchmark] public double[] NashMTL() => _nashMtl.ComputeWeights(Fresh());

    [Benchmark] public double[] GradVac() => _gradVac.ComputeWeights(Fresh());

    [Benchmark] public double[] FairGrad() => _fairGrad.ComputeWeights(Fresh());

    [Benchmark] public double[] ConFIG() => _conFig.ComputeWeights(Fresh());

    [Benchmark] public double[] RLW() => _rlw.ComputeWeights(Fresh());

    /// <summary>Multi-Krum (f = 0, k = 2); at T = 2, below Krum's T ≥ f + 3, the plain Gram matrix only.</summary>
    [Benchmark] public object Krum() => T >= 3 ? _krum.ComputeWeights(Fresh()) : Fresh();

    [Benchmark] public GradientDiagnostics Diagnostics() => new(Fresh(), Enumerable.Repeat(1.0, T).ToArray());

    private Gramian Fresh() => new(_values, Gramian.SinglePrecisionEpsilon);

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
