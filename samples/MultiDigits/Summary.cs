namespace GradSurgery.Samples.MultiDigits;

/// <summary>A configuration's results averaged over seeds, with Δm% against the single-task baselines.</summary>
/// <param name="Configuration">The configuration.</param>
/// <param name="Runs">One result per seed.</param>
internal sealed record Summary(Configuration Configuration, IReadOnlyList<RunResult> Runs)
{
    /// <summary>Mean final test accuracy of task <paramref name="t"/> over seeds.</summary>
    public double Accuracy(int t) => Runs.Average(r => r.TestAccuracy[t]);

    /// <summary>Mean over seeds of the per-epoch mean test accuracy.</summary>
    public double[] AccuracyCurve() =>
        [.. Enumerable.Range(0, Runs[0].AccuracyCurve.Count).Select(e => Runs.Average(r => r.AccuracyCurve[e]))];

    /// <summary>Mean wall-clock milliseconds per training step (forward, backward with the method, optimizer step).</summary>
    public double MillisecondsPerStep => 1000 * Runs.Sum(r => r.StepSeconds) / Runs.Sum(r => r.Steps);

    /// <summary>Mean conflicting pairs per step (NaN for rows without per-task gradients).</summary>
    public double ConflictingPairs => Runs.Sum(r => r.ConflictingPairsSum) / Runs.Sum(r => r.DiagnosedSteps);

    /// <summary>Mean condition number of the task gradients per step (NaN for rows without per-task gradients).</summary>
    public double ConditionNumber => Runs.Sum(r => r.ConditionNumberSum) / Runs.Sum(r => r.DiagnosedSteps);

    /// <summary>
    /// Δm%, the average per-task performance drop against the single-task baselines (CAGrad paper,
    /// §5: Δm% = (1/K) Σₖ (−1)^δₖ (M_m,k − M_b,k) / M_b,k · 100 with δₖ = 1 where higher is better;
    /// accuracy is, so lower Δm% is better and a negative value beats the single-task models).
    /// </summary>
    public double DeltaM(IReadOnlyList<double> baselineAccuracy) =>
        100 * Enumerable.Range(0, baselineAccuracy.Count).Average(k => -(Accuracy(k) - baselineAccuracy[k]) / baselineAccuracy[k]);
}
