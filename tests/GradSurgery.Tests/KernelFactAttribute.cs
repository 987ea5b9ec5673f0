using Xunit;

namespace GradSurgery.Tests;

/// <summary>A fact that runs only where the library's CPU kernels run (AVX-512F) and is reported as skipped elsewhere.</summary>
public sealed class KernelFactAttribute : FactAttribute
{
    public KernelFactAttribute()
    {
        if (!Lanes.IsSupported)
            Skip = "This CPU has no AVX-512F: the library uses libtorch's products instead of its kernels.";
    }
}
