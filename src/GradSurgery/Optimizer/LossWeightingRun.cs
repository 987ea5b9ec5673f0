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

    /// <summary>Runs <paramref name="body"/>; if it throws, the loss weighting's state is restored to what it was before (then the exception propagates).</summary>
    public static void Guarded(ILossWeighting lossWeighting, Action body)
    {
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
