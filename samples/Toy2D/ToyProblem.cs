using static TorchSharp.torch;

namespace GradSurgery.Samples.Toy2D;

/// <summary>
/// The two-task toy problem of the CAGrad paper (Liu et al. 2021, Figure 1; the authors' toy.py).
/// For x2 &gt; 0 each loss is a narrow log valley, for x2 &lt; 0 a shallow bowl centred at (7, -8)
/// for L1 and (-7, -8) for L2. The Pareto set is the segment x1 ∈ [-7, 7] near x2 = -8.3552.
/// </summary>
internal static class ToyProblem
{
    /// <summary>Floor of the log's argument (toy.py's LOWER): keeps ln finite in the valleys.</summary>
    public const double Lower = 5e-6;

    /// <summary>x2 of the Pareto set at x1 = 0, where both bowls weigh equally.</summary>
    public const double ParetoX2 = -8.3552;

    /// <summary>Half-length of the Pareto segment in x1: the bowls' centres are at x1 = ±7.</summary>
    public const double ParetoHalfWidth = 7.0;

    /// <summary>The two task losses at points (x1, x2) (tensors of any matching shape), differentiable by autograd.</summary>
    public static (Tensor L1, Tensor L2) Losses(Tensor x1, Tensor x2)
    {
        var c1 = tanh(x2 * 0.5).clamp_min(0);
        var c2 = tanh(-x2 * 0.5).clamp_min(0);
        var f1 = (0.5 * (-x1 - 7) - tanh(-x2)).abs().clamp_min(Lower).log() + 6;
        var f2 = (0.5 * (-x1 + 3) + tanh(-x2) + 2).abs().clamp_min(Lower).log() + 6;
        var q1 = ((-x1 + 7).square() + 0.1 * (-x2 - 8).square()) / 10 - 20;
        var q2 = ((-x1 - 7).square() + 0.1 * (-x2 - 8).square()) / 10 - 20;
        return (c1 * f1 + c2 * q1, c1 * f2 + c2 * q2);
    }

    /// <summary>The same two losses in double precision, for contours and the results table.</summary>
    public static (double L1, double L2) Evaluate(double x1, double x2)
    {
        var c1 = Math.Max(Math.Tanh(x2 * 0.5), 0);
        var c2 = Math.Max(Math.Tanh(-x2 * 0.5), 0);
        var f1 = Math.Log(Math.Max(Math.Abs(0.5 * (-x1 - 7) - Math.Tanh(-x2)), Lower)) + 6;
        var f2 = Math.Log(Math.Max(Math.Abs(0.5 * (-x1 + 3) + Math.Tanh(-x2) + 2), Lower)) + 6;
        var q1 = (Square(-x1 + 7) + 0.1 * Square(-x2 - 8)) / 10 - 20;
        var q2 = (Square(-x1 - 7) + 0.1 * Square(-x2 - 8)) / 10 - 20;
        return (c1 * f1 + c2 * q1, c1 * f2 + c2 * q2);
    }

    private static double Square(double v) => v * v;
}
