using static TorchSharp.torch;

namespace GradSurgery.Benchmarks.Infrastructure;

/// <summary>The device benchmarks run on (CUDA when present) and how to wait for it.</summary>
public static class TorchDevice
{
    /// <summary>CUDA when TorchSharp has a CUDA backend and a GPU, else the CPU.</summary>
    public static Device Current { get; } = cuda.is_available() ? CUDA : CPU;

    /// <summary>Waits for queued device work, so a timed call ends when its kernels end.</summary>
    public static void Synchronize()
    {
        if (Current.type == TorchSharp.DeviceType.CUDA)
        {
            cuda.synchronize();
        }
    }
}
