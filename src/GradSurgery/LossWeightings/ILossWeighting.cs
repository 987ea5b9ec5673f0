using System.Collections.Generic;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>
/// A loss weighting: turns the T task losses of one forward pass into T terms whose sum is
/// back-propagated (UW, DWA, GLS, IMTL-L, RLW, STCH, FAMO, GradNorm, the log transform of DB-MTL).
/// </summary>
/// <remarks>
/// <para>Term t depends on loss t only (and on the weighting's own parameters); the weights that mix the
/// tasks are constants of the step. So Σₜ termₜ has the method's gradient, and the same terms can feed a
/// gradient method: <see cref="GradientSurgeryOptimizer"/> back-propagates their sum once when it has only
/// a loss weighting, and takes them as the task losses of its per-task gradients when it also has an
/// aggregator (the loss transform comes first, as in DB-MTL).</para>
/// <para>State (moving averages, epoch means, logits, trainable scales) is explicit: <see cref="Reset"/>
/// restores the state right after construction, and <see cref="StateDict"/>/<see cref="LoadStateDict"/>
/// save and restore it (plain arrays of doubles, ready for JSON). One instance serves one training run
/// and one thread.</para>
/// </remarks>
public interface ILossWeighting
{
    /// <summary>The method's short name, for example "UW".</summary>
    string Name { get; }

    /// <summary>
    /// The weighting's trainable parameters, trained by the model's optimizer as in the paper (UW's and
    /// IMTL-L's log-scales, GradNorm's weights): give them to the wrapped optimizer. Empty when the
    /// method has none or updates its state by its own rule (FAMO).
    /// </summary>
    IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>
    /// The T terms of one forward pass, in the current dispose scope, and the effective weight
    /// ∂termₜ/∂Lₜ of each loss. Advances the weighting's state by one step.
    /// </summary>
    /// <param name="losses">The T ≥ 1 scalar task losses (with their graphs).</param>
    /// <param name="values">The losses' values on the host, finite (the wrapper reads them once for its
    /// checks, so that no method needs a second device synchronisation).</param>
    /// <exception cref="System.ArgumentException">The task count differs from the weighting's, the values do
    /// not match the losses, or a loss is outside the method's domain (for example ≤ 0 for GLS).</exception>
    WeightedLosses Weigh(IReadOnlyList<Tensor> losses, IReadOnlyList<double> values);

    /// <summary>Called after the optimizer applied a step (FAMO's look at the losses after a step, GradNorm's renormalisation).</summary>
    void AfterStep();

    /// <summary>Marks the end of a training epoch (DWA's and STCH's epoch statistics); other methods ignore it.</summary>
    void EndEpoch();

    /// <summary>Returns the state to what it was right after construction (trainable parameters included).</summary>
    void Reset();

    /// <summary>A copy of the state: every array a method needs to continue exactly where it is.</summary>
    IReadOnlyDictionary<string, double[]> StateDict();

    /// <summary>Restores a state saved by <see cref="StateDict"/> of a weighting with the same options and task count.</summary>
    /// <exception cref="System.ArgumentException">A key is missing, or an array has the wrong length or non-finite values where the state must be finite.</exception>
    void LoadStateDict(IReadOnlyDictionary<string, double[]> state);
}
