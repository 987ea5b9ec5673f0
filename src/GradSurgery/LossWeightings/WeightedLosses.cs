using System;
using System.Collections;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>What a <see cref="ILossWeighting"/> made of one step's losses.</summary>
public sealed class WeightedLosses
{
    private readonly IReadOnlyList<Tensor>? _losses;
    private readonly Func<Tensor, Tensor>? _formula;

    /// <summary>Pairs the terms with their weights.</summary>
    /// <param name="terms">The T scalar terms whose sum is back-propagated; term t depends on loss t only.</param>
    /// <param name="weights">∂termₜ/∂Lₜ for every task.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The two lists differ in length or are empty.</exception>
    public WeightedLosses(IReadOnlyList<Tensor> terms, IReadOnlyList<double> weights)
    {
        ArgumentNullException.ThrowIfNull(terms);
        ArgumentNullException.ThrowIfNull(weights);
        if (terms.Count == 0 || terms.Count != weights.Count)
            throw new ArgumentException($"A loss weighting must give one term and one weight per task; got {terms.Count} terms and {weights.Count} weights.", nameof(weights));
        Terms = terms;
        Weights = weights;
    }

    /// <summary>
    /// Terms given by a vector formula of the [T] loss vector (entry t depending on entry t only): the
    /// total is one formula over the stacked losses; term t, made only when read (the gradient path), is
    /// the formula's entry t over a vector in which every other loss is detached, so that it reaches only
    /// task t's parameters.
    /// </summary>
    internal WeightedLosses(IReadOnlyList<Tensor> losses, Func<Tensor, Tensor> formula, IReadOnlyList<double> weights)
    {
        _losses = losses;
        _formula = formula;
        Terms = new Entries(losses.Count, t => formula(LossVector.Stack(losses, only: t))[t]);
        Weights = weights;
    }

    /// <summary>The T scalar terms whose sum is back-propagated; term t depends on loss t only.</summary>
    public IReadOnlyList<Tensor> Terms { get; }

    /// <summary>∂termₜ/∂Lₜ, the weight the step effectively gives each loss (for logging and tests).</summary>
    public IReadOnlyList<double> Weights { get; }

    /// <summary>Σₜ termₜ, in the current dispose scope (one reduction when the terms are a vector).</summary>
    internal Tensor Total()
    {
        if (_losses is not null && _formula is not null)
            return _formula(LossVector.Stack(_losses)).sum();
        var total = Terms[0];
        for (var t = 1; t < Terms.Count; t++)
            total = total + Terms[t];
        return total;
    }

    /// <summary>
    /// Terms for data-parallel training, where this rank holds its shard's losses Lₜ,ᵣ and the weights were
    /// computed at the global losses L̄ (<paramref name="globalValues"/>): wₜ·Lₜ,ᵣ plus the formula at L̄ held
    /// constant. Their gradients, combined over the ranks with their shares, are exactly the gradients of
    /// the terms at L̄, for the model (through wₜ·Lₜ,ᵣ) and for the weighting's own parameters (through the
    /// formula at L̄). A weighting built from explicit terms (no formula) keeps them: exact when its terms
    /// are linear in the losses.
    /// </summary>
    internal IReadOnlyList<Tensor> LinearisedTerms(IReadOnlyList<double> globalValues)
    {
        if (_losses is not { } losses || _formula is not { } formula)
            return Terms;
        var like = LossVector.Stack(losses).detach();
        var atGlobal = formula(torch.tensor(globalValues is double[] array ? array : [.. globalValues], dtype: like.dtype, device: like.device));
        var terms = new Tensor[losses.Count];
        for (var t = 0; t < losses.Count; t++)
            terms[t] = (losses[t].reshape() * Weights[t]) + atGlobal[t];
        return terms;
    }

    /// <summary>Σₜ of <see cref="LinearisedTerms"/>.</summary>
    internal Tensor LinearisedTotal(IReadOnlyList<double> globalValues)
    {
        var terms = LinearisedTerms(globalValues);
        var total = terms[0];
        for (var t = 1; t < terms.Count; t++)
            total = total + terms[t];
        return total;
    }

    /// <summary>Terms made on first read.</summary>
    private sealed class Entries(int count, Func<int, Tensor> make) : IReadOnlyList<Tensor>
    {
        private readonly Tensor?[] _entries = new Tensor?[count];

        public Tensor this[int index] => _entries[index] ??= make(index);

        public int Count => _entries.Length;

        public IEnumerator<Tensor> GetEnumerator()
        {
            for (var t = 0; t < Count; t++)
                yield return this[t];
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
