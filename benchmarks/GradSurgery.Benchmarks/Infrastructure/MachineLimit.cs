using System.Diagnostics;
using static TorchSharp.torch;

namespace GradSurgery.Benchmarks.Infrastructure;

/// <summary>
/// The machine's limit for one aggregation of a [T, P] gradient matrix: the larger of a bandwidth floor
/// (two plain reads of G, <c>G.sum()</c> twice: the least any Gram-space method must read, once for the
/// Gram and once for the combine) and a compute floor (the Gram's T(T+1)/2·P multiply-adds, since it is
/// symmetric, at the machine's peak GEMM rate, measured on a square product).
/// </summary>
public static class MachineLimit
{
    /// <summary>Side of the square product the peak rate is measured on: large enough for BLAS's best blocking, 12 MB per operand in float32.</summary>
    public const int GemmSide = 1024;

    /// <summary>Floating-point operations per multiply-add, as GEMM rates are quoted.</summary>
    private const double FlopsPerMultiplyAdd = 2;

    private const int GemmWarmups = 3;
    private const int GemmRepetitions = 11;
    private static readonly Dictionary<ScalarType, double> PeakCache = [];

    /// <summary>
    /// The accumulation dtype of <paramref name="dtype"/> (float32 for half precision, which the
    /// library accumulates in float32; float64 and float32 as they are): the dtype of the GEMM whose
    /// rate bounds the Gram.
    /// </summary>
    public static ScalarType Accumulation(ScalarType dtype) => dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;

    /// <summary>Peak GEMM rate in FLOP/s for <paramref name="dtype"/>'s accumulation dtype: median of 11 square products after 3 warm-ups, measured once per process.</summary>
    public static double PeakFlops(ScalarType dtype)
    {
        var accumulation = Accumulation(dtype);
        if (PeakCache.TryGetValue(accumulation, out var cached))
        {
            return cached;
        }

        using var scope = NewDisposeScope();
        var a = randn(GemmSide, GemmSide, dtype: accumulation, device: TorchDevice.Current);
        var b = randn(GemmSide, GemmSide, dtype: accumulation, device: TorchDevice.Current);
        var times = new List<double>();
        for (var i = -GemmWarmups; i < GemmRepetitions; i++)
        {
            var clock = Stopwatch.StartNew();
            using (var c = a.matmul(b))
            {
                TorchDevice.Synchronize();
            }

            if (i >= 0)
            {
                times.Add(clock.Elapsed.TotalSeconds);
            }
        }

        times.Sort();
        var peak = FlopsPerMultiplyAdd * GemmSide * GemmSide * (double)GemmSide / times[times.Count / 2];
        PeakCache[accumulation] = peak;
        return peak;
    }

    /// <summary>The compute floor in milliseconds: T(T+1)/2·P multiply-adds at <see cref="PeakFlops"/>.</summary>
    public static double ComputeFloorMilliseconds(int t, long p, ScalarType dtype) =>
        FlopsPerMultiplyAdd * (t * (t + 1) / 2.0) * p / PeakFlops(dtype) * 1e3;

    /// <summary>The compute floor from a measured time of one <see cref="GemmSide"/>³ product (for BenchmarkDotNet's results).</summary>
    public static double ComputeFloorFromGemm(int t, long p, double gemmTime) =>
        t * (t + 1) / 2.0 * p / ((double)GemmSide * GemmSide * GemmSide) * gemmTime;
}
