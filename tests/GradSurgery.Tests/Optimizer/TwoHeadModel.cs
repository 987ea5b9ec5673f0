using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradSurgery.Tests.Optimizer;

/// <summary>A shared trunk (Linear-Tanh) with one Linear head per task, in float64, plus synthetic regression data with conflicting targets.</summary>
internal sealed class TwoHeadModel : nn.Module
{
    public readonly Linear Trunk;
    public readonly Linear[] Heads;

    public TwoHeadModel(int tasks = 2, int inputs = 4, int hidden = 8, long seed = 1) : base("two_head")
    {
        torch.manual_seed(seed);
        Trunk = nn.Linear(inputs, hidden, dtype: ScalarType.Float64);
        Heads = Enumerable.Range(0, tasks).Select(_ => nn.Linear(hidden, 1, dtype: ScalarType.Float64)).ToArray();
        register_module("trunk", Trunk);
        for (var t = 0; t < tasks; t++)
            register_module($"head{t}", Heads[t]);
    }

    public Tensor Representation(Tensor x) => torch.tanh(Trunk.call(x));

    /// <summary>Per-task MSE losses (mean over the batch) and the representation they share.</summary>
    public (List<Tensor> Losses, Tensor Z) Losses(Tensor x, Tensor[] targets)
    {
        var z = Representation(x);
        var losses = Heads.Select((h, t) => nn.functional.mse_loss(h.call(z), targets[t])).ToList();
        return (losses, z);
    }

    public IEnumerable<Parameter> SharedParameters => Trunk.parameters();

    /// <summary>Targets y₀ = x·a and y₁ = −x·a + small: the tasks pull the trunk in opposite directions.</summary>
    public static (Tensor X, Tensor[] Targets) Data(int batch, int tasks = 2, int inputs = 4, long seed = 7)
    {
        torch.manual_seed(seed);
        var x = torch.randn(batch, inputs, dtype: ScalarType.Float64);
        var a = torch.randn(inputs, 1, dtype: ScalarType.Float64);
        var targets = Enumerable.Range(0, tasks)
            .Select(t => (t % 2 == 0 ? 1.0 : -1.0) * x.matmul(a) + (0.3 * t * x.narrow(1, 0, 1).pow(2)))
            .ToArray();
        return (x, targets);
    }
}
