namespace GradSurgery;

/// <summary>The final scaling of the <see cref="CAGrad"/> update d = g₀ + (c‖g₀‖/‖g_w‖)·g_w.</summary>
public enum CAGradRescale
{
    /// <summary>d unscaled (TorchJD; the official code with rescale = 0).</summary>
    None,

    /// <summary>d/(1 + c²), the default of the authors' training code and LibMTL (rescale = 1).</summary>
    OnePlusCSquared,

    /// <summary>d/(1 + c) (the official code with rescale = 2).</summary>
    OnePlusC,
}
