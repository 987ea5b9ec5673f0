using System.Linq;
using Xunit;
using static TorchSharp.torch;

namespace GradSurgery.Tests.Optimizer;

/// <summary>A copy of a model's parameters, compared bit for bit after a step that must not touch them.</summary>
internal sealed class ParameterSnapshot(nn.Module model)
{
    private readonly Tensor[] _saved = [.. model.parameters().Select(p => p.detach().clone())];

    public void AssertUnchanged(string label)
    {
        foreach (var (p, before) in model.parameters().Zip(_saved))
            Assert.True(p.detach().allclose(before, rtol: 0, atol: 0), $"{label}: a parameter changed");
    }
}
