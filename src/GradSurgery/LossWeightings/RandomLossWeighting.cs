using System;
using System.Collections.Generic;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>
/// RLW on the losses (Lin et al., Reasonable Effectiveness of Random Weighting: A Litmus Test for
/// Multi-Task Learning, TMLR 2022): every step draws z ~ N(0, I_T) and back-propagates Σₜ softmax(z)ₜ·Lₜ
/// once, as LibMTL.
/// </summary>
/// <remarks>
/// The loss-level twin of <see cref="Rlw"/>: with the same seed both draw the same weights, and the
/// gradient of this objective is <see cref="Rlw"/>'s update (without per-task gradients). The generator
/// is the state: <see cref="StateDict"/> saves the seed and how many values were drawn, and loading it
/// replays the draws.
/// </remarks>
public sealed class RandomLossWeighting : ILossWeighting
{
    private const string Method = "RLW";
    private readonly int _seed;
    private Random _random;
    private long _drawn;

    /// <summary>Creates RLW on the losses.</summary>
    /// <param name="seed">Seed of the draws; null draws one from the system (once, so that <see cref="Reset"/> replays it).</param>
    public RandomLossWeighting(int? seed = null)
    {
        _seed = seed ?? Random.Shared.Next();
        _random = new Random(_seed);
    }

    /// <inheritdoc />
    public string Name => Method;

    /// <summary>RLW has no trainable parameters.</summary>
    public IReadOnlyList<Parameter> Parameters => [];

    /// <summary>wₜ = softmax(z)ₜ for a fresh z ~ N(0, I_T); termₜ = wₜ·Lₜ.</summary>
    /// <inheritdoc cref="ILossWeighting.Weigh" path="/param"/>
    /// <inheritdoc cref="ILossWeighting.Weigh" path="/exception"/>
    public WeightedLosses Weigh(IReadOnlyList<Tensor> losses, IReadOnlyList<double> values)
    {
        var count = LossInputs.Validate(losses, values, null, Method);
        var weights = GaussianSoftmax.Draw(_random, count);
        _drawn += GaussianSoftmax.ValuesPerDraw(count);
        return ScaledLosses.Of(losses, weights);
    }

    /// <summary>Nothing happens per step.</summary>
    public void AfterStep()
    {
    }

    /// <summary>RLW has no epoch statistics.</summary>
    public void EndEpoch()
    {
    }

    /// <summary>Restarts the draws from the seed.</summary>
    public void Reset()
    {
        _random = new Random(_seed);
        _drawn = 0;
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double[]> StateDict() => new Dictionary<string, double[]>
    {
        ["seed"] = [_seed],
        ["drawn"] = [_drawn],
    };

    /// <summary>Continues the draws of the saved state (same seed required: the generator is replayed).</summary>
    /// <inheritdoc cref="ILossWeighting.LoadStateDict" path="/param"/>
    /// <exception cref="ArgumentException">A key is missing, or the state was saved with another seed.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, double[]> state)
    {
        var seed = StateArrays.Read(state, "seed", 1, Method)[0];
        if (seed != _seed)
            throw new ArgumentException($"RLW's state was saved with seed {seed}; this instance has seed {_seed}.", nameof(state));
        var drawn = StateArrays.ReadCount(state, "drawn", Method);
        var random = new Random(_seed);
        for (long i = 0; i < drawn; i++)
            random.NextDouble();
        (_random, _drawn) = (random, drawn);
    }
}
