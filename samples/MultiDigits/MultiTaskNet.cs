using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradSurgery.Samples.MultiDigits;

/// <summary>Hard parameter sharing: an MLP trunk shared by all tasks and one linear head per task.</summary>
internal sealed class MultiTaskNet : IDisposable
{
    /// <summary>Width of the trunk's hidden layers.</summary>
    public const int Hidden = 256;

    /// <summary>Width of the shared representation the heads read.</summary>
    public const int Representation = 128;

    /// <summary>Creates the network on <paramref name="device"/> (initialised from torch's current seed).</summary>
    public MultiTaskNet(int features, int taskCount, int classes, Device device)
    {
        // Layers created in input-to-output order: the initial weights follow torch's seed in that order.
        var first = nn.Linear(features, Hidden);
        LastSharedLayer = nn.Linear(Hidden, Representation);
        Trunk = nn.Sequential(first, nn.ReLU(), LastSharedLayer, nn.ReLU()).to(device);
        Heads = [.. Enumerable.Range(0, taskCount).Select(_ => nn.Linear(Representation, classes).to(device))];
    }

    /// <summary>The shared trunk.</summary>
    public Sequential Trunk { get; }

    /// <summary>The trunk's last linear layer (GradNorm balances the gradient norms on it, as its paper).</summary>
    public Linear LastSharedLayer { get; }

    /// <summary>One classifier per task.</summary>
    public IReadOnlyList<Linear> Heads { get; }

    /// <summary>Trunk and head parameters, for the optimizer.</summary>
    public IEnumerable<Parameter> Parameters(IEnumerable<int>? tasks = null) =>
        Trunk.parameters().Concat((tasks ?? Enumerable.Range(0, Heads.Count)).SelectMany(t => Heads[t].parameters()));

    /// <summary>Switches dropout-like layers between training and evaluation (none today, kept for correctness).</summary>
    public void Train(bool on)
    {
        Trunk.train(on);
        foreach (var head in Heads)
        {
            head.train(on);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Trunk.Dispose();
        foreach (var head in Heads)
        {
            head.Dispose();
        }
    }
}
