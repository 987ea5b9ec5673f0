namespace GradSurgery;

/// <summary>The sum of the task gradients, Σₜ gₜ: the gradient of the summed loss.</summary>
public sealed class Sum : IGramianWeighting
{
    /// <inheritdoc />
    public string Name => "Sum";

    /// <summary>wₜ = 1.</summary>
    public double[] ComputeWeights(Gramian gramian)
    {
        System.ArgumentNullException.ThrowIfNull(gramian);
        var weights = new double[gramian.TaskCount];
        System.Array.Fill(weights, 1.0);
        return weights;
    }
}
