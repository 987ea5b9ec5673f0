namespace GradSurgery;

/// <summary>The plain average of the task gradients, (1/T)·Σₜ gₜ: the baseline every method is compared with.</summary>
public sealed class Mean : IGramianWeighting
{
    /// <inheritdoc />
    public string Name => "Mean";

    /// <summary>wₜ = 1/T.</summary>
    public double[] ComputeWeights(Gramian gramian)
    {
        System.ArgumentNullException.ThrowIfNull(gramian);
        var weights = new double[gramian.TaskCount];
        System.Array.Fill(weights, 1.0 / weights.Length);
        return weights;
    }
}
