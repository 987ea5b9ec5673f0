using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace GradSurgery.Tests.LossWeightings;

/// <summary>What each paper says its weighting does, observed on small synthetic problems.</summary>
public class LossWeightingBehaviourTests
{
    [Fact]
    public void Uncertainty_weights_converge_to_one_over_twice_the_noise_variance()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(3);
        double[] sigmas = [0.5, 2.0];
        const int batch = 1024;
        var means = new Parameter(torch.zeros(2, dtype: ScalarType.Float64));
        var uw = new UncertaintyWeighting(2, dtype: ScalarType.Float64);
        using var opt = new GradientSurgeryOptimizer(optim.Adam([means, uw.LogVariances], lr: 0.02), uw);
        var late = new List<double[]>();
        for (var step = 0; step < 3000; step++)
        {
            using var stepScope = NewDisposeScope();
            // Targets 1 + σₜ·noise: the Gaussian likelihood's variance is σₜ², the MSE's minimum.
            var losses = Enumerable.Range(0, 2)
                .Select(t => (means[t] - (1 + (sigmas[t] * torch.randn(batch, dtype: ScalarType.Float64)))).square().mean())
                .ToList();
            opt.zero_grad();
            opt.Backward(losses);
            opt.step();
            if (step >= 2000)
                late.Add([.. opt.LastLossWeights!]);
        }
        for (var t = 0; t < 2; t++)
        {
            var expected = 1 / (2 * sigmas[t] * sigmas[t]);
            var mean = late.Average(w => w[t]);
            Assert.True(Math.Abs(mean - expected) < 0.1 * expected, $"task {t}: weight {mean}, expected 1/(2σ²) = {expected}");
        }
    }

    [Fact]
    public void Imtl_l_scales_every_loss_to_one()
    {
        using var scope = NewDisposeScope();
        var imtl = new ImtlL(2, dtype: ScalarType.Float64);
        var trunk = new Parameter(torch.ones(1, dtype: ScalarType.Float64));
        using var opt = new GradientSurgeryOptimizer(optim.SGD([imtl.LogScales], 0.1), imtl);
        for (var step = 0; step < 500; step++)
        {
            using var stepScope = NewDisposeScope();
            opt.zero_grad();
            opt.Backward([4 * trunk.sum(), 0.25 * trunk.sum()]);
            opt.step();
        }
        var scales = imtl.LogScales.data<double>().ToArray().Select(Math.Exp).ToArray();
        Assert.Equal(0.25, scales[0], 3);
        Assert.Equal(4, scales[1], 2);
    }

    [Fact]
    public void Dwa_gives_a_stalling_task_more_weight_than_an_improving_one()
    {
        var dwa = new Dwa(2);
        double[] weights = [];
        for (var epoch = 0; epoch < 4; epoch++)
        {
            for (var step = 0; step < 3; step++)
                weights = LossLeaves.Weights(dwa, Math.Pow(0.5, epoch), 1.0);
            dwa.EndEpoch();
        }
        Assert.True(weights[1] > 1 && weights[0] < 1, $"weights {weights[0]}, {weights[1]}");
        Assert.Equal(2, weights.Sum(), 12);
        Assert.Equal(2, dwa.RememberedEpochs);
    }

    [Fact]
    public void Famo_raises_the_weight_of_the_task_that_improves_least()
    {
        var famo = new Famo(3);
        for (var step = 0; step < 200; step++)
        {
            // Task 0 improves fast, task 1 slowly, task 2 not at all.
            LossLeaves.Weights(famo, Math.Exp(-0.05 * step), Math.Exp(-0.01 * step), 1.0);
            famo.AfterStep();
        }
        var z = famo.TaskWeights;
        Assert.True(z[2] > z[1] && z[1] > z[0], $"weights {string.Join(", ", z)}");
    }

    [Fact]
    public void Famo_balances_a_real_two_task_model_towards_the_slower_task()
    {
        using var scope = NewDisposeScope();
        var model = new Optimizer.TwoHeadModel(tasks: 2);
        var (x, y) = Optimizer.TwoHeadModel.Data(64);
        var famo = new Famo(2);
        using var opt = new GradientSurgeryOptimizer(optim.Adam(model.parameters(), 0.01), famo);
        var first = model.Losses(x, y).Losses.Select(l => l.item<double>()).ToArray();
        for (var step = 0; step < 100; step++)
        {
            using var stepScope = NewDisposeScope();
            opt.zero_grad();
            opt.Backward(model.Losses(x, y).Losses);
            opt.step();
        }
        var last = model.Losses(x, y).Losses.Select(l => l.item<double>()).ToArray();
        var slower = Math.Log(first[0] / last[0]) < Math.Log(first[1] / last[1]) ? 0 : 1;
        Assert.True(famo.TaskWeights[slower] > 0.5, $"the task whose log loss fell less ({slower}) has weight {famo.TaskWeights[slower]}");
    }

    [Fact]
    public void Gls_gradient_direction_ignores_the_scale_of_a_loss()
    {
        using var scope = NewDisposeScope();
        var model = new Optimizer.TwoHeadModel(tasks: 2);
        var (x, y) = Optimizer.TwoHeadModel.Data(16);
        Tensor Gradient(double scale)
        {
            using var opt = new GradientSurgeryOptimizer(optim.SGD(model.parameters(), 0.1), new Gls());
            opt.zero_grad();
            var losses = model.Losses(x, y).Losses;
            opt.Backward([losses[0] * scale, losses[1]]);
            return torch.cat(model.parameters().Select(p => p.grad!.flatten().clone()).ToArray());
        }
        var plain = Gradient(1);
        var scaled = Gradient(1000);
        var cosine = (plain.dot(scaled) / (plain.norm() * scaled.norm())).item<double>();
        Assert.Equal(1, cosine, 12);
        // The objective is scaled by 1000^(1/2), so is its gradient.
        Assert.Equal(Math.Sqrt(1000), (scaled.norm() / plain.norm()).item<double>(), 9);
    }

    [Fact]
    public void Stch_with_a_small_mu_puts_the_weight_on_the_worst_normalised_task()
    {
        var stch = new Stch(3, mu: 0.01, warmupEpochs: 0);
        LossLeaves.Weights(stch, 1, 2, 4);
        stch.EndEpoch();
        // Normalised: (1.5, 1.25, 1.1) of the nadir; task 0 is the worst.
        var (_, gradients, _) = LossLeaves.Run(stch, 1.5, 2.5, 4.4);
        Assert.Equal(3 / 1.5, gradients[0], 6);
        Assert.True(gradients[1] < 1e-6 && gradients[2] < 1e-6);
    }

    [Fact]
    public void GradNorm_with_alpha_zero_equalises_the_weighted_gradient_norms()
    {
        using var scope = NewDisposeScope();
        var layer = new Parameter(torch.ones(2, dtype: ScalarType.Float32));
        var gradNorm = new GradNorm(2, [layer], alpha: 0);
        using var opt = new GradientSurgeryOptimizer(optim.Adam([gradNorm.Weights], 0.005), gradNorm);
        for (var step = 0; step < 600; step++)
        {
            using var stepScope = NewDisposeScope();
            opt.zero_grad();
            // ‖∇_W L₀‖ = 2, ‖∇_W L₁‖ = 8 (the layer is not trained): equal norms need w = (1.6, 0.4).
            opt.Backward([layer[0].square(), 4 * layer[1].square()]);
            opt.step();
        }
        var w = gradNorm.Weights.to_type(ScalarType.Float64).data<double>().ToArray();
        Assert.Equal(1.6, w[0], 1);
        Assert.Equal(0.4, w[1], 1);
        Assert.Equal(2, w.Sum(), 5);
    }
}
