using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradSurgery.Benchmarks.Training;

/// <summary>
/// The benchmark model: an MLP trunk (input → h1 → h2, ReLU) shared by T regression heads
/// (h2 → 1, MSE against fixed random targets), with one fixed batch.
/// </summary>
public sealed class MultiHeadMlp : IDisposable
{
    /// <summary>Rows per batch, as the issue states.</summary>
    public const int BatchSize = 64;

    private readonly Tensor _input;
    private readonly Tensor[] _targets;

    /// <summary>Creates the model for a trunk size label ("1M": ≈1.05·10⁶ parameters, "10M": ≈9.4·10⁶).</summary>
    public MultiHeadMlp(string trunkSize, int taskCount, Device device)
    {
        var (input, hidden1, hidden2) = trunkSize switch
        {
            "1M" => (512, 1024, 512),
            "10M" => (1024, 3072, 2048),
            _ => throw new ArgumentOutOfRangeException(nameof(trunkSize), trunkSize, "Known sizes: 1M, 10M."),
        };
        manual_seed(0);
        var first = nn.Linear(input, hidden1);
        LastSharedLayer = nn.Linear(hidden1, hidden2);
        Trunk = nn.Sequential(first, nn.ReLU(), LastSharedLayer, nn.ReLU()).to(device);
        Heads = [.. Enumerable.Range(0, taskCount).Select(_ => nn.Linear(hidden2, 1).to(device))];
        _input = randn(BatchSize, input, device: device);
        _targets = [.. Enumerable.Range(0, taskCount).Select(_ => randn(BatchSize, 1, device: device))];
    }

    /// <summary>The shared trunk.</summary>
    public Sequential Trunk { get; }

    /// <summary>The trunk's last linear layer (GradNorm's W).</summary>
    public Linear LastSharedLayer { get; }

    /// <summary>One head per task.</summary>
    public IReadOnlyList<Linear> Heads { get; }

    /// <summary>Every trainable parameter.</summary>
    public IEnumerable<Parameter> Parameters => Trunk.parameters().Concat(Heads.SelectMany(h => h.parameters()));

    /// <summary>Number of trunk (shared) parameters.</summary>
    public long SharedParameterCount => Trunk.parameters().Sum(p => p.numel());

    /// <summary>Forward pass: the shared representation and the T task losses.</summary>
    public (Tensor Representation, List<Tensor> Losses) Forward()
    {
        var z = Trunk.call(_input);
        return (z, [.. Heads.Select((h, t) => nn.functional.mse_loss(h.call(z), _targets[t]))]);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Trunk.Dispose();
        foreach (var head in Heads)
        {
            head.Dispose();
        }

        _input.Dispose();
        foreach (var target in _targets)
        {
            target.Dispose();
        }
    }
}
