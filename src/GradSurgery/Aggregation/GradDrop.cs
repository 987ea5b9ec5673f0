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
/// <para>Elementwise, so not a Gram-space method: it runs on the device over the full [T, P] matrix, in
/// blocks of 2¹⁵ columns (per block a pass for Σgₜ and Σ|gₜ|, one draw of uniforms and a pass for the
/// masked sum; temporaries of one block only). The Gram matrix is still computed, for the non-finite check and the step's diagnostics
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
    /// <summary>
    /// Columns per block: the temporaries of a block (a few vectors of 2¹⁵ values, 128 KiB in float32)
    /// stay in cache and come from the allocator's free lists. Whole-P temporaries cost a fresh
    /// allocation each, whose first touch (page faults) measured slower than the arithmetic here.
    /// </summary>
    private const long Chunk = 1L << 15;

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
        var generator = GeneratorFor(accumulated.device);
        var p = accumulated.shape[1];
        var buffers = new BlockBuffers(Math.Min(Chunk, p), accumulated);
        for (long start = 0; start < p; start += Chunk)
        {
            var width = Math.Min(Chunk, p - start);
            destination.narrow(0, start, width).copy_(MaskedSum(accumulated.narrow(1, start, width), buffers.Narrow(width), generator));
        }
        return GradientDiagnostics.Unweighted(gramian, GradientMatrix.UpdateNorm(destination));
    }

    /// <summary>
    /// Σₜ (ℓₜ + (1 − ℓₜ)·maskₜ)·gₜ for one column block, with its own uniform draws, computed in place in
    /// <paramref name="b"/> (no allocation per block); returns the buffer holding it.
    /// </summary>
    private Tensor MaskedSum(Tensor block, BlockBuffers b, Generator generator)
    {
        var t = (int)block.shape[0];
        b.Sum.copy_(block[0]);
        b.Magnitude.copy_(block[0]).abs_();
        for (var i = 1; i < t; i++)
        {
            b.Sum.add_(block[i]);
            b.Magnitude.add_(b.Row.copy_(block[i]).abs_());
        }
        // sign(𝒫 − U): +1 keeps positive components, −1 negative ones, 0 (𝒫 = U, probability ~2⁻²⁴)
        // neither, as the paper's strict inequalities. Where Σ|g| = 0 the purity is NaN and every
        // component is zero, so the choice does not matter. The uniforms are drawn in float32 whatever
        // the dtype, so that a seed gives the same signs in every precision.
        var purity = b.Sum.div_(b.Magnitude).add_(1).mul_(0.5);
        b.Uniform.uniform_(0, 1, generator);
        var sign = purity.sub_(b.Uniform.to_type(block.dtype)).sign_();
        b.Kept.zero_();
        for (var i = 0; i < t; i++)
        {
            var leak = _leaks?[i] ?? 0;
            // The component of gᵢ with the chosen sign: s·relu(s·gᵢ).
            b.Kept.add_(b.Row.copy_(block[i]).mul_(sign).relu_(), alpha: 1 - leak);
        }
        b.Kept.mul_(sign);
        for (var i = 0; i < t; i++)
        {
            if (_leaks?[i] is > 0 and var leak)
                b.Kept.add_(block[i], alpha: leak);
        }
        return b.Kept;
    }

    /// <summary>The per-block work vectors, allocated once per aggregation.</summary>
    private sealed class BlockBuffers
    {
        public BlockBuffers(long width, Tensor like)
        {
            Sum = torch.empty(width, dtype: like.dtype, device: like.device);
            Magnitude = torch.empty_like(Sum);
            Row = torch.empty_like(Sum);
            Kept = torch.empty_like(Sum);
            Uniform = torch.empty(width, dtype: ScalarType.Float32, device: like.device);
        }

        private BlockBuffers(Tensor sum, Tensor magnitude, Tensor row, Tensor kept, Tensor uniform) =>
            (Sum, Magnitude, Row, Kept, Uniform) = (sum, magnitude, row, kept, uniform);

        public Tensor Sum { get; }

        public Tensor Magnitude { get; }

        public Tensor Row { get; }

        public Tensor Kept { get; }

        public Tensor Uniform { get; }

        /// <summary>The first <paramref name="width"/> entries of each buffer (the last block can be shorter).</summary>
        public BlockBuffers Narrow(long width) => width == Sum.shape[0] ? this :
            new(Sum.narrow(0, 0, width), Magnitude.narrow(0, 0, width), Row.narrow(0, 0, width), Kept.narrow(0, 0, width), Uniform.narrow(0, 0, width));
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
