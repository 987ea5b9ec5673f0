using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>
/// GradDrop, gradient sign dropout (Chen et al., Just Pick a Sign: Optimizing Deep Multitask Models with
/// Gradient Sign Dropout, NeurIPS 2020, Algorithm 1): per parameter, the positive sign purity
/// 𝒫 = ½(1 + Σₜgₜ / Σₜ|gₜ|) and a uniform draw U choose a sign (positive where 𝒫 &gt; U, negative where
/// 𝒫 &lt; U), every task's component of the other sign is dropped, and the kept components are summed.
/// </summary>
/// <remarks>
/// <para>Elementwise, so not a Gram-space method: it runs on the device over the full [T, P] matrix (a
/// pass for Σgₜ and Σ|gₜ|, a pass for the masked sum, one draw of P uniforms; temporaries of size P
/// only). The Gram matrix is still computed, for the non-finite check and the step's diagnostics
/// (<see cref="GradientDiagnostics.IsWeighted"/> is false).</para>
/// <para>As TorchJD: the sign purity is computed on the gradients themselves (the paper's f is the
/// identity; its batch-separated variant multiplies by the layer input's sign first), columns where
/// every gradient is zero contribute zero, and an optional leak ℓₜ ∈ [0, 1] per task keeps ℓₜ of the
/// dropped part: the update is Σₜ (ℓₜ + (1 − ℓₜ)·maskₜ)·gₜ (ℓ = 0, the default, is the paper's method;
/// ℓ = 1 is <see cref="Sum"/>).</para>
/// <para>The draws (float32 uniforms, whatever the gradients' dtype, so a seed gives the same signs in
/// every precision) come from a generator seeded once on the gradients' device; <see cref="Reset"/>
/// replays them. One instance per run and thread. Reduced-precision gradients are summed in float32.</para>
/// </remarks>
public sealed class GradDrop : IGradientAggregator
{
    private readonly ulong _seed;
    private readonly double[]? _leaks;
    private Generator? _generator;

    /// <summary>Creates GradDrop.</summary>
    /// <param name="leaks">ℓₜ per task, each in [0, 1] (copied); null for no leak (the paper's method).</param>
    /// <param name="seed">Seed of the uniform draws; null draws one from the system (once, so that <see cref="Reset"/> replays it).</param>
    /// <exception cref="ArgumentException">A leak is outside [0, 1] or the list is empty.</exception>
    public GradDrop(IEnumerable<double>? leaks = null, int? seed = null)
    {
        if (leaks is not null)
        {
            _leaks = leaks.ToArray();
            if (_leaks.Length == 0)
                throw new ArgumentException("GradDrop's leaks must hold one value per task; got none.", nameof(leaks));
            for (var i = 0; i < _leaks.Length; i++)
            {
                if (!(_leaks[i] >= 0 && _leaks[i] <= 1))
                    throw new ArgumentException($"GradDrop's leak {i} is {_leaks[i]}; leaks must be in [0, 1].", nameof(leaks));
            }
        }
        _seed = (ulong)(seed ?? Random.Shared.Next());
    }

    /// <inheritdoc />
    public string Name => "GradDrop";

    /// <summary>The leak ℓₜ per task (empty when none).</summary>
    public IReadOnlyList<double> Leaks => Array.AsReadOnly(_leaks ?? []);

    /// <summary>Replays the uniform draws from the seed.</summary>
    public void Reset()
    {
        _generator?.Dispose();
        _generator = null;
    }

    /// <inheritdoc />
    public Tensor Aggregate(Tensor gradients) => GradientMatrix.AggregateToNew(gradients, Combine);

    /// <inheritdoc />
    public GradientDiagnostics Aggregate(Tensor gradients, Tensor destination) => GradientMatrix.AggregateInto(gradients, destination, Combine);

    private GradientDiagnostics Combine(Tensor gradients, Tensor destination)
    {
        using var scope = NewDisposeScope();
        var accumulated = GradientMatrix.Accumulated(gradients);
        var gramian = GradientMatrix.ComputeGramian(accumulated);
        var t = (int)accumulated.shape[0];
        if (_leaks is not null && _leaks.Length != t)
            throw new ArgumentException($"GradDrop was given {_leaks.Length} leaks for {t} tasks.", nameof(gradients));
        var rows = accumulated.unbind(0);
        var sum = rows[0].clone();
        var magnitude = rows[0].abs();
        for (var i = 1; i < t; i++)
        {
            sum.add_(rows[i]);
            magnitude.add_(rows[i].abs());
        }
        // 𝒫 > U keeps positive components (sign +1), 𝒫 < U negative ones (sign −1). Where Σ|g| = 0 the
        // purity is NaN and every component is zero, so the choice does not matter.
        var purity = sum.div_(magnitude).add_(1).mul_(0.5);
        // Drawn in float32 whatever the dtype, so that a seed gives the same signs in every precision.
        var uniform = torch.rand(accumulated.shape[1], dtype: ScalarType.Float32, device: accumulated.device, generator: GeneratorFor(accumulated.device)).to_type(accumulated.dtype);
        var sign = torch.where(purity.gt(uniform), 1.0, -1.0).to_type(accumulated.dtype);
        var kept = torch.zeros_like(sign);
        var leaked = _leaks is not null && _leaks.Any(l => l > 0) ? torch.zeros_like(sign) : null;
        for (var i = 0; i < t; i++)
        {
            var leak = _leaks?[i] ?? 0;
            // The component of gᵢ with the chosen sign: s·relu(s·gᵢ).
            kept.add_(rows[i].mul(sign).relu_(), alpha: 1 - leak);
            if (leak > 0)
                leaked!.add_(rows[i], alpha: leak);
        }
        kept.mul_(sign);
        if (leaked is not null)
            kept.add_(leaked);
        destination.copy_(kept);
        return GradientDiagnostics.Unweighted(gramian, kept.norm().to_type(ScalarType.Float64).item<double>());
    }

    private Generator GeneratorFor(Device device)
    {
        if (_generator is null || _generator.device.ToString() != device.ToString())
        {
            _generator?.Dispose();
            _generator = new Generator(_seed, device);
        }
        return _generator;
    }
}
