namespace GradSurgery;

/// <summary>Which eigenvalue of the Gram matrix sets the common singular value of the aligned system in <see cref="AlignedMtl"/>.</summary>
public enum AlignedMtlScale
{
    /// <summary>The smallest kept eigenvalue λmin (Algorithm 1 of the paper; the default).</summary>
    Min,

    /// <summary>The median of the kept eigenvalues; for an even count the lower middle one, as <c>torch.median</c> in the official code.</summary>
    Median,

    /// <summary>The mean of the kept eigenvalues (the official code's "rmse" mode).</summary>
    Mean,
}
