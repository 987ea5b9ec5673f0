using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;

namespace GradSurgery;

/// <summary>How <see cref="GradientSurgeryOptimizer"/> runs a loss weighting: ownership of its parameters, the sum it back-propagates, and its state restored on failure.</summary>
internal static class LossWeightingRun
{
    /// <summary>
    /// Throws unless the wrapped optimizer owns every trainable parameter of the loss weighting (otherwise
    /// they would never be stepped) and none of them is among the explicitly shared parameters (each entry
    /// belongs to one task).
    /// </summary>
    public static void RequireOwned(ILossWeighting lossWeighting, torch.optim.Optimizer inner, Parameter[]? explicitShared)
    {
        var parameters = lossWeighting.Parameters ?? [];
        if (parameters.Count == 0)
            return;
        var owned = new HashSet<Parameter>(inner.parameters());
        if (parameters.Any(p => !owned.Contains(p)))
            throw new ArgumentException($"{lossWeighting.Name}'s parameters are not among the wrapped optimizer's, so they would never be trained: create it with them, for example optim.Adam(model.parameters().Concat(lossWeighting.Parameters)).", nameof(lossWeighting));
        if (explicitShared is not null && parameters.Any(explicitShared.Contains))
            throw new ArgumentException($"{lossWeighting.Name}'s parameters are among the shared parameters: each of their entries belongs to one task and gets that task's gradient, never a combined one.", SharedParameterChecks.OptionName);
    }

    /// <summary>Throws a <see cref="NonFiniteGradientException"/> naming the task when a weight the loss weighting reports is NaN or infinite (nothing has been back-propagated yet).</summary>
    public static void RequireFiniteWeights(ILossWeighting lossWeighting, WeightedLosses weighted)
    {
        for (var t = 0; t < weighted.Weights.Count; t++)
        {
            if (!double.IsFinite(weighted.Weights[t]))
                throw new NonFiniteGradientException(t, $"{lossWeighting.Name} gives loss {t} the weight {weighted.Weights[t]}; nothing was back-propagated or applied.", "losses");
        }
    }

    /// <summary>Runs <paramref name="body"/>; if it throws, the loss weighting's state is restored to what it was before (then the exception propagates).</summary>
    public static void Guarded(ILossWeighting lossWeighting, Action body)
    {
        if (lossWeighting is IParameterStateOnly)
        {
            body();
            return;
        }
        var before = lossWeighting.StateDict();
        try
        {
            body();
        }
        catch
        {
            lossWeighting.LoadStateDict(before);
            throw;
        }
    }
}
