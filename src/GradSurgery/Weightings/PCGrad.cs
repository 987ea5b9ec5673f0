using System;

namespace GradSurgery;

/// <summary>
/// PCGrad, "project conflicting gradients" (Yu et al., Gradient Surgery for Multi-Task Learning,
/// NeurIPS 2020, Algorithm 1): each gᵢ^PC starts at gᵢ; for every gⱼ in random order, if
/// gᵢ^PC·gⱼ &lt; 0 then gᵢ^PC ← gᵢ^PC − (gᵢ^PC·gⱼ/‖gⱼ‖²)·gⱼ (projection off the original gⱼ).
/// The update is Σᵢ gᵢ^PC (or the mean).
/// </summary>
/// <remarks>
/// <para>Computed on the Gram matrix: gᵢ^PC = Σₖ cᵢₖ·gₖ, the conflict test is (cᵢ·M)ⱼ and the step
/// is cᵢⱼ −= (cᵢ·M)ⱼ/Mⱼⱼ, so no pass over the gradients is needed per task pair.</para>
/// <para>The inner loop visits every task, j = i included, as the official code, LibMTL and
/// Pytorch-PCGrad do. gᵢ^PC·gᵢ starts at ‖gᵢ‖² &gt; 0, so j = i only matters when earlier projections
/// turned gᵢ^PC against its own gradient; it is then projected back to orthogonal to it.</para>
/// <para>With T = 2 the result never conflicts with either task. Zero gradients are never projected on.</para>
/// <para>The random task order is this weighting's state (<see cref="IStatefulWeighting"/>): use one
/// instance per training run and thread; <see cref="Reset"/> replays the order from the start.</para>
/// </remarks>
public sealed class PCGrad : IStatefulWeighting
{
    private readonly int _seed;
    private Random _random;

    /// <summary>Creates PCGrad.</summary>
    /// <param name="reduction">Sum of the projected gradients (default, as the paper) or their mean.</param>
    /// <param name="order">Random task order per task (default, as the paper) or fixed index order.</param>
    /// <param name="seed">Seed of the random task order; null draws one from the system (once, so that <see cref="Reset"/> replays it).</param>
    /// <exception cref="ArgumentOutOfRangeException">An enum value is undefined.</exception>
    public PCGrad(PCGradReduction reduction = PCGradReduction.Sum, PCGradTaskOrder order = PCGradTaskOrder.Random, int? seed = null)
    {
        Reduction = EnumArgument.Defined(reduction, nameof(reduction));
        Order = EnumArgument.Defined(order, nameof(order));
        _seed = seed ?? Random.Shared.Next();
        _random = new Random(_seed);
    }

    /// <inheritdoc />
    public string Name => "PCGrad";

    /// <summary>Sum (default) or mean of the projected gradients.</summary>
    public PCGradReduction Reduction { get; }

    /// <summary>Random (default) or fixed task order.</summary>
    public PCGradTaskOrder Order { get; }

    /// <summary>Restarts the random task order from the seed.</summary>
    public void Reset() => _random = new Random(_seed);

    /// <summary>w = Σᵢ cᵢ (or its mean), with cᵢ the coefficients of gᵢ^PC in the original gradients.</summary>
    public double[] ComputeWeights(Gramian gramian)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        var n = gramian.TaskCount;
        var weights = new double[n];
        var coefficients = new double[n];
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            Array.Clear(coefficients);
            coefficients[i] = 1;
            for (var k = 0; k < n; k++)
                order[k] = k;
            if (Order == PCGradTaskOrder.Random)
                _random.Shuffle(order);
            foreach (var j in order)
            {
                if (gramian[j, j] <= 0)
                    continue;
                var dot = 0.0;
                for (var k = 0; k < n; k++)
                    dot += coefficients[k] * gramian[k, j];
                if (dot < 0)
                    coefficients[j] -= dot / gramian[j, j];
            }
            for (var k = 0; k < n; k++)
                weights[k] += coefficients[k];
        }
        if (Reduction == PCGradReduction.Mean)
        {
            for (var k = 0; k < n; k++)
                weights[k] /= n;
        }
        return weights;
    }
}
