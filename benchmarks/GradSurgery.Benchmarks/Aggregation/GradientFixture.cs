using static TorchSharp.torch;

namespace GradSurgery.Benchmarks.Aggregation;

/// <summary>Synthetic task gradients that conflict like real ones: a shared direction plus task noise.</summary>
public static class GradientFixture
{
    /// <summary>Weight of the shared direction: about half the task pairs then conflict, as in multi-task training.</summary>
    private const float SharedWeight = 0.1f;

    /// <summary>Seed, so every run aggregates the same matrix.</summary>
    private const int Seed = 7;

    /// <summary>A [T, P] matrix (float32 unless <paramref name="dtype"/> says otherwise) on the benchmark device, outside any dispose scope.</summary>
    public static Tensor Create(int taskCount, long size, ScalarType dtype = ScalarType.Float32)
    {
        using var scope = NewDisposeScope();
        var generator = new TorchSharp.torch.Generator(Seed);
        var shared = randn(1, size, generator: generator);
        var g = (randn(taskCount, size, generator: generator) + (SharedWeight * shared)).to(dtype, Infrastructure.TorchDevice.Current);
        return g.MoveToOuterDisposeScope();
    }
}
