using TorchSharp;
using Xunit;

namespace GradSurgery.Tests;

public class SmokeTests
{
    [Fact]
    public void Torch_loads()
    {
        using var a = torch.ones(2, 2);
        Assert.Equal(4.0, a.sum().item<float>());
    }
}
