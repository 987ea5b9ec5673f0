namespace GradSurgery.Samples.MultiDigits;

/// <summary>What one configuration reached with one seed.</summary>
internal sealed class RunResult
{
    /// <summary>Creates an empty result for <paramref name="taskCount"/> tasks.</summary>
    public RunResult(int taskCount) => TestAccuracy = new double[taskCount];

    /// <summary>Final test accuracy per task (NaN for tasks a single-task baseline does not train).</summary>
    public double[] TestAccuracy { get; }

    /// <summary>Mean test accuracy over the trained tasks after each epoch.</summary>
    public List<double> AccuracyCurve { get; } = [];

    /// <summary>Mean training loss (sum over the trained tasks) in each epoch.</summary>
    public List<double> LossCurve { get; } = [];

    /// <summary>Sum over steps of the conflicting task pairs (gᵢ·gⱼ &lt; 0) of the shared gradients.</summary>
    public double ConflictingPairsSum { get; set; }

    /// <summary>Sum over steps of the gradient system's condition number.</summary>
    public double ConditionNumberSum { get; set; }

    /// <summary>Optimizer steps with diagnostics (rows with per-task gradients only).</summary>
    public int DiagnosedSteps { get; set; }

    /// <summary>Optimizer steps timed (those after the first epoch).</summary>
    public int Steps { get; set; }

    /// <summary>Wall-clock seconds of the steps (forward, backward with the method, optimizer step).</summary>
    public double StepSeconds { get; set; }
}
