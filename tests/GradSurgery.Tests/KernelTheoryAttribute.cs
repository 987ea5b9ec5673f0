using Xunit;

namespace GradSurgery.Tests;

/// <summary>A theory that runs only where the library's CPU kernels run (AVX-512F) and is reported as skipped elsewhere.</summary>
public sealed class KernelTheoryAttribute : TheoryAttribute
{
    public KernelTheoryAttribute()
    {
        if (!Lanes.IsSupported)
            Skip = "This CPU has no AVX-512F: the library uses libtorch's products instead of its kernels.";
    }
}
