using System;
using static TorchSharp.torch;

namespace GradSurgery.Tests;

/// <summary>
/// TorchSharp's process-wide count of live native tensors, read after the finalizers of earlier tests'
/// garbage have run: otherwise they run in the middle of a measurement and lower the count.
/// </summary>
internal static class LiveTensors
{
    public static long Count()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Tensor.TotalCount;
    }
}
