using System;
using System.Collections.Generic;
using TorchSharp.Modules;

namespace GradSurgery;

/// <summary>What the per-task buffer needs of the shared parameters: one device, one supported dtype.</summary>
internal static class SharedParameterChecks
{
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
