namespace GradSurgery;

/// <summary>How <see cref="PCGrad"/> combines the projected gradients.</summary>
public enum PCGradReduction
{
    /// <summary>Σᵢ gᵢ^PC, as Algorithm 1 of the paper, the official TensorFlow code and LibMTL.</summary>
    Sum,

    /// <summary>(1/T)·Σᵢ gᵢ^PC, as the widely used Pytorch-PCGrad port.</summary>
    Mean,
}
