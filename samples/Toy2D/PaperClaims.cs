namespace GradSurgery.Samples.Toy2D;

/// <summary>The CAGrad paper's statements about its Figure 1, checked on the final points of a run.</summary>
internal static class PaperClaims
{
    /// <summary>Distance in x2 from <see cref="ToyProblem.ParetoX2"/> still counted as on the Pareto set:
    /// its x2 runs from -8.355 (x1 = 0) to about -8.46 (x1 = ±7).</summary>
    private const double ParetoBandX2 = 0.15;

    /// <summary>Slack in x1 beyond the segment's ends ±7 (Adam keeps jittering by about its step size).</summary>
    private const double ParetoSlackX1 = 0.05;

    /// <summary>How close to (0, -8.3552) counts as "about" the point CAGrad should reach.</summary>
    private const double TargetRadius = 0.05;

    /// <summary>Least spread in x1 between the three final points that counts as "different points".</summary>
    private const double DistinctSpreadX1 = 1.0;

    /// <summary>Whether a point lies on the Pareto set (within the tolerances above).</summary>
    public static bool OnParetoSet((double X1, double X2) p) =>
        Math.Abs(p.X1) <= ToyProblem.ParetoHalfWidth + ParetoSlackX1 && Math.Abs(p.X2 - ToyProblem.ParetoX2) <= ParetoBandX2;

    /// <summary>Each claim with whether it held.</summary>
    public static IReadOnlyList<(string Claim, bool Holds, string Measured)> Check(IReadOnlyList<TrajectoryRun> runs)
    {
        var mean = Finals(runs, "Mean (GD)");
        var cagrad = Finals(runs, "CAGrad c=0.5");
        var mgda = Finals(runs, "MGDA");
        var pcgrad = Finals(runs, "PCGrad");

        var stalled = mean.Count(p => !OnParetoSet(p));
        var cagradWorst = cagrad.Max(p => Math.Sqrt((p.X1 * p.X1) + Math.Pow(p.X2 - ToyProblem.ParetoX2, 2)));
        return
        [
            ("GD (Mean) stalls in a valley from two of the three starts", stalled == 2,
                $"{stalled} of 3 final points off the Pareto set"),
            ("CAGrad reaches about (0, -8.355) from all three starts", cagradWorst <= TargetRadius,
                $"farthest final point {cagradWorst:F4} from (0, {ToyProblem.ParetoX2})"),
            ("MGDA stops at different points of the Pareto set", Distinct(mgda),
                $"x1 = {string.Join(", ", mgda.Select(p => p.X1.ToString("F2")))}, all on the set: {mgda.All(OnParetoSet)}"),
            ("PCGrad stops at different points of the Pareto set", Distinct(pcgrad),
                $"x1 = {string.Join(", ", pcgrad.Select(p => p.X1.ToString("F2")))}, all on the set: {pcgrad.All(OnParetoSet)}"),
        ];
    }

    private static bool Distinct(IReadOnlyList<(double X1, double X2)> finals) =>
        finals.All(OnParetoSet) && finals.Max(p => p.X1) - finals.Min(p => p.X1) >= DistinctSpreadX1;

    private static List<(double X1, double X2)> Finals(IReadOnlyList<TrajectoryRun> runs, string method) =>
        [.. runs.Where(r => r.Method.Name == method).Select(r => r.Final)];
}
