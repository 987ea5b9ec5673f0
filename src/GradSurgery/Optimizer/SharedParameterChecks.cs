using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;

namespace GradSurgery;

/// <summary>What the per-task buffer needs of the shared parameters: one device, one supported dtype.</summary>
internal static class SharedParameterChecks
{
    /// <summary>How errors name the explicitly given shared parameters.</summary>
    public const string OptionName = "options.SharedParameters";

    /// <summary>The explicitly given shared parameters, distinct, once checked against the wrapped optimizer.</summary>
    /// <exception cref="ArgumentException">The list is empty, holds null, a frozen parameter or one the optimizer does not own, or mixes devices or dtypes.</exception>
    public static Parameter[] Explicit(IEnumerable<Parameter> sharedParameters, torch.optim.Optimizer inner)
    {
        var shared = sharedParameters.Distinct().ToArray();
        if (shared.Length == 0)
            throw new ArgumentException("The shared parameter list is empty.", OptionName);
        if (shared.Any(p => p is null))
            throw new ArgumentException("The shared parameter list holds a null entry.", OptionName);
        if (shared.Any(p => !p.requires_grad))
            throw new ArgumentException("A shared parameter is frozen (requires_grad = false).", OptionName);
        var owned = new HashSet<Parameter>(inner.parameters());
        var foreign = Array.FindIndex(shared, p => !owned.Contains(p));
        if (foreign >= 0)
            throw new ArgumentException($"Shared parameter {foreign} (shape [{string.Join(", ", shared[foreign].shape)}]) is not among the wrapped optimizer's parameters: it would never be stepped.", OptionName);
        SameDeviceAndType(shared, OptionName);
        return shared;
    }

    /// <summary>Throws unless every parameter shares the first one's device and dtype, a floating type the aggregators accept.</summary>
    /// <param name="parameters">The shared parameters (at least one).</param>
    /// <param name="parameterName">The argument that named them, or null when they were inferred.</param>
    /// <exception cref="ArgumentException">Devices or dtypes differ, or the dtype is unsupported.</exception>
    public static void SameDeviceAndType(IReadOnlyList<Parameter> parameters, string? parameterName)
    {
        var origin = parameterName is null ? "The shared parameters (inferred: reached by two or more losses)" : "The shared parameters";
        var first = parameters[0];
        foreach (var p in parameters)
        {
            if (p.device.ToString() != first.device.ToString())
                throw new ArgumentException($"{origin} are on different devices ({first.device} and {p.device}): the per-task gradient buffer needs one device.", parameterName);
            if (p.dtype != first.dtype)
                throw new ArgumentException($"{origin} have different dtypes ({first.dtype} and {p.dtype}): the per-task gradient buffer needs one dtype.", parameterName);
            if (!GradientMatrix.IsSupported(p.dtype))
                throw new ArgumentException($"{origin} must be float16, bfloat16, float32 or float64; got {p.dtype}.", parameterName);
        }
    }
}
