using GradSurgery;
using TorchSharp;
using static TorchSharp.torch;

namespace TwoTaskTraining;

/// <summary>Two regression tasks on a shared trunk, trained through <see cref="GradientSurgeryOptimizer"/>.</summary>
public static class SharedTrunkTraining
{
    private const int Steps = 200;
    private const int Batch = 64;
    private const int Features = 8;
    private const int Hidden = 32;

    /// <summary>Trains with the method called <paramref name="method"/>; returns each task's final loss over its initial loss.</summary>
    public static double[] LossRatios(string method)
    {
        using var scope = NewDisposeScope();
        manual_seed(0);
        var trunk = nn.Sequential(nn.Linear(Features, Hidden), nn.Tanh());
        var heads = new[] { nn.Linear(Hidden, 1), nn.Linear(Hidden, 1) };
        var parameters = trunk.parameters().Concat(heads.SelectMany(h => h.parameters()));
        using var optimizer = new GradientSurgeryOptimizer(optim.Adam(parameters, lr: 1e-2), WeightingCatalog.Create(method, seed: 1));
        var x = randn(Batch, Features);
        var targets = new[] { x.sum(1, keepdim: true).sin(), (x[.., 0] - x[.., 1]).cos().unsqueeze(1) };

        double[] Losses()
        {
            using var noGrad = no_grad();
            var z = trunk.call(x);
            return [.. heads.Select((h, t) => (double)nn.functional.mse_loss(h.call(z), targets[t]).item<float>())];
        }

        var initial = Losses();
        for (var step = 0; step < Steps; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            var z = trunk.call(x);
            optimizer.Backward(heads.Select((h, t) => nn.functional.mse_loss(h.call(z), targets[t])).ToList());
            optimizer.step();
        }
        return [.. Losses().Zip(initial, (final, first) => final / first)];
    }
}
