using System;

namespace GradSurgery;

/// <summary>
/// RLW, random loss weighting applied to gradients (Lin et al., Reasonable Effectiveness of Random
/// Weighting: A Litmus Test for Multi-Task Learning, TMLR 2022): each call draws z ~ N(0, I_T) and
/// weights the gradients by softmax(z), as LibMTL does.
/// </summary>
/// <remarks>
/// The generator is this weighting's state (<see cref="IStatefulWeighting"/>): one instance per run and
/// thread; <see cref="Reset"/> replays the draws. The weights ignore the Gram matrix, so the update is
/// linear in the gradients' scale for a given draw, and invariant to the task order only in distribution.
/// </remarks>
public sealed class Rlw : IStatefulWeighting
{
    private readonly int _seed;
    private Random _random;

    /// <summary>Creates RLW.</summary>
    /// <param name="seed">Seed of the draws; null draws one from the system (once, so that <see cref="Reset"/> replays it).</param>
    public Rlw(int? seed = null)
    {
        _seed = seed ?? Random.Shared.Next();
        _random = new Random(_seed);
    }

    /// <inheritdoc />
    public string Name => "RLW";

    /// <summary>Restarts the draws from the seed.</summary>
    public void Reset() => _random = new Random(_seed);

    /// <summary>softmax(z) for a fresh standard normal z (Box–Muller).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="gramian"/> is null.</exception>
    public double[] ComputeWeights(Gramian gramian)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        return GaussianSoftmax.Draw(_random, gramian.TaskCount);
    }
}
