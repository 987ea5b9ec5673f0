using TorchSharp;
using Xunit;

namespace GradSurgery.Tests;

/// <summary>A fact that runs only where CUDA is available and is reported as skipped elsewhere.</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (!torch.cuda.is_available())
            Skip = "CUDA is not available on this machine.";
    }
}
