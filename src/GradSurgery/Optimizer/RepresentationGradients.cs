using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace GradSurgery;

/// <summary>
/// The per-task gradients with respect to a shared representation Z (representation mode, the "-UB"
/// variant of Aligned-MTL §5.2 and MGDA-UB): only the heads are back-propagated.
/// </summary>
internal static class RepresentationGradients
{
    /// <summary>The [T, numel(Z)] matrix whose row t is ∂Lₜ/∂Z flattened (batch included), in the current dispose scope.</summary>
    /// <exception cref="ArgumentException">Z does not require grad, or no loss depends on it.</exception>
    public static Tensor Of(IReadOnlyList<Tensor> losses, Tensor representation)
    {
        if (!representation.requires_grad)
            throw new ArgumentException("The representation does not require grad: pass the trunk's output, not a detached copy.", nameof(representation));
        var rows = new Tensor[losses.Count];
        var inputs = new List<Tensor> { representation };
        var reached = false;
        for (var t = 0; t < losses.Count; t++)
        {
            // allow_unused and retain_graph always: a native error inside autograd.grad aborts the
            // process instead of throwing, so every input is made safe before the call.
            var g = torch.autograd.grad(new List<Tensor> { losses[t] }, inputs, retain_graph: true, allow_unused: true)[0];
            reached |= !g.IsInvalid;
            rows[t] = g.IsInvalid ? torch.zeros_like(representation).flatten() : g.flatten();
        }
        if (!reached)
            throw new ArgumentException("No loss depends on the representation: pass the tensor the trunk produced and the heads consumed in this forward pass.", nameof(representation));
        return torch.stack(rows);
    }
}
