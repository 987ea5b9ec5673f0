namespace GradSurgery.Samples.Toy2D;

/// <summary>One method's trajectory from one start point.</summary>
/// <param name="Method">The method.</param>
/// <param name="Start">The start point.</param>
internal sealed record TrajectoryRun(ToyMethod Method, (double X1, double X2) Start)
{
    /// <summary>Recorded points, first and last included.</summary>
    public List<(double X1, double X2)> Path { get; } = [];

    /// <summary>The point after the last step.</summary>
    public (double X1, double X2) Final => Path[^1];
}
