using System;

namespace GradSurgery;

/// <summary>
/// GradOPS, gradient deconfliction via orthogonal projections onto subspaces (Zhu et al., WSDM 2025,
/// Algorithm 1, Eqs. 1–5). A task gradient gᵢ that conflicts with any other (gᵢ·gⱼ &lt; 0, j ≠ i) is
/// replaced by its component g′ᵢ orthogonal to span{gⱼ : j ≠ i}; others stay. With G′ = Σᵢ g′ᵢ,
/// Rᵢ = G′·gᵢ/‖gᵢ‖ (Eq. 3), rᵢ = Rᵢ/(ΣR/T) (Eq. 4), wᵢ = rᵢ^α/(Σr^α/T) (Eq. 5), and the update is
/// Σᵢ wᵢ·g′ᵢ. When every g′ᵢ is zero the update falls back to <see cref="Mgda"/>.
/// </summary>
/// <remarks>
/// <para>Every g′ᵢ is non-conflicting with every original gⱼ ("strong non-conflicting"), so the update
/// never conflicts with any task, for any α. α = 0 gives G′ itself.</para>
/// <para>In Gram space g′ᵢ = gᵢ − Σⱼ βⱼgⱼ with β = pinv(M₋ᵢ,₋ᵢ)·M₋ᵢ,ᵢ, the same projection as the paper's
/// Gram–Schmidt (Eqs. 1–2), which is undefined for linearly dependent gⱼ. Eigenvalues of M₋ᵢ,₋ᵢ at or
/// below <see cref="Gramian.RankTolerance"/> count as zero: such directions are dependent and the
/// projection uses the span of the rest.</para>
/// <para>Where the paper is undefined we choose, and the tests pin: (1) tasks with a zero gradient
/// (Rᵢ = 0/0) are left out of Eqs. 4–5, T counting the others (their g′ᵢ is zero, so their weight is
/// immaterial); (2) for α &lt; 0, tasks with Rᵢ = 0 (which forces g′ᵢ = 0) would get an infinite weight
/// on a zero vector; they get weight 0 and are left out of Eq. 5's normalisation. Rᵢ counts as zero
/// below √(T·ε)·‖G′‖, ε the Gram's <see cref="Gramian.RelativePrecision"/>: shorter lengths are not
/// resolvable from M.</para>
/// </remarks>
public sealed class GradOps : IGramianWeighting
{
    /// <summary>Creates GradOPS.</summary>
    /// <param name="alpha">Trade-off exponent α of Eq. 5, any finite real (default 0: G′ itself). α &gt; 0 favours dominating tasks, α &lt; 0 dominated ones.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is NaN or infinite.</exception>
    public GradOps(double alpha = 0)
    {
        if (!double.IsFinite(alpha))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be a finite real number.");
        Alpha = alpha;
    }

    /// <summary>The trade-off exponent α.</summary>
    public double Alpha { get; }

    /// <inheritdoc />
    public string Name => "GradOPS";

    /// <summary>Weights of Σᵢ wᵢ·g′ᵢ in the original gradients.</summary>
    public double[] ComputeWeights(Gramian gramian)
    {
        var projected = DeconflictedCoefficients(gramian); // checks gramian for null first
        var n = gramian.TaskCount;
        var rankTolerance = gramian.RankTolerance;
        var anyNonZero = false;
        for (var i = 0; i < n; i++)
            anyNonZero |= gramian.QuadraticForm(Row(projected, i)) > rankTolerance;
        if (!anyNonZero)
            return MinimumNormPoint.Solve(gramian.Values);

        var sumCoefficients = new double[n];
        for (var i = 0; i < n; i++)
        {
            for (var k = 0; k < n; k++)
                sumCoefficients[k] += projected[i, k];
        }
        var taskWeights = TaskWeights(gramian, sumCoefficients);
        var weights = new double[n];
        for (var i = 0; i < n; i++)
        {
            for (var k = 0; k < n; k++)
                weights[k] += taskWeights[i] * projected[i, k];
        }
        return weights;
    }

    /// <summary>
    /// The coefficients of the deconflicted gradients: row i holds c with g′ᵢ = Σₖ cₖ·gₖ
    /// (Algorithm 1, lines 3–10).
    /// </summary>
    internal static double[,] DeconflictedCoefficients(Gramian gramian)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        var n = gramian.TaskCount;
        var coefficients = new double[n, n];
        var rankTolerance = gramian.RankTolerance;
        var inverse = WellConditionedInverse(gramian);
        for (var i = 0; i < n; i++)
        {
            coefficients[i, i] = 1;
            var conflicted = false;
            for (var j = 0; j < n; j++)
                conflicted |= j != i && gramian[i, j] < 0;
            if (!conflicted)
                continue;
            if (inverse is not null)
            {
                // g′ᵢ is the component of gᵢ along the dual basis vector dᵢ = Σⱼ (M⁻¹)ᵢⱼ·gⱼ (dᵢ·gₖ = δᵢₖ):
                // g′ᵢ = dᵢ/(M⁻¹)ᵢᵢ, one inverse for every task instead of one pseudo-inverse per task.
                for (var j = 0; j < n; j++)
                {
                    if (j != i)
                        coefficients[i, j] = inverse[i, j] / inverse[i, i];
                }
                continue;
            }
            var others = new double[n - 1, n - 1];
            var rhs = new double[n - 1];
            for (int a = 0, ja = 0; ja < n; ja++)
            {
                if (ja == i)
                    continue;
                rhs[a] = gramian[ja, i];
                for (int b = 0, jb = 0; jb < n; jb++)
                {
                    if (jb == i)
                        continue;
                    others[a, b++] = gramian[ja, jb];
                }
                a++;
            }
            var beta = SymmetricEigen.Of(others).PseudoInverseTimes(rhs, rankTolerance);
            for (int a = 0, j = 0; j < n; j++)
            {
                if (j != i)
                    coefficients[i, j] = -beta[a++];
            }
        }
        return coefficients;
    }

    /// <summary>
    /// M⁻¹ from the Gramian's eigendecomposition when M is far from singular (λmin ≥
    /// <see cref="InverseEigenvalueRatio"/>·λmax, so every M₋ᵢ,₋ᵢ is invertible too and the
    /// pseudo-inverse path would invert it exactly); null otherwise.
    /// </summary>
    private static double[,]? WellConditionedInverse(Gramian gramian)
    {
        var n = gramian.TaskCount;
        var eigen = gramian.Eigen;
        if (n < 2 || !(eigen.Values[0] >= InverseEigenvalueRatio * eigen.Values[n - 1]))
            return null;
        var inverse = new double[n, n];
        for (var k = 0; k < n; k++)
        {
            var reciprocal = 1 / eigen.Values[k];
            for (var i = 0; i < n; i++)
            {
                var scaled = eigen.Vectors[i, k] * reciprocal;
                for (var j = 0; j < n; j++)
                    inverse[i, j] += scaled * eigen.Vectors[j, k];
            }
        }
        return inverse;
    }

    /// <summary>
    /// Smallest λmin/λmax for the single-inverse path: κ(M) ≤ 10⁶ keeps its rounding near 10⁻¹⁰,
    /// below the tests' 10⁻⁹ parity with the per-task pseudo-inverses; worse-conditioned Gramians take that path.
    /// </summary>
    private const double InverseEigenvalueRatio = 1e-6;

    /// <summary>Eqs. 3–5 with the policies of the remarks for zero gradients and zero Rᵢ.</summary>
    private double[] TaskWeights(Gramian gramian, double[] sumCoefficients)
    {
        var n = gramian.TaskCount;
        var weights = new double[n];
        var combined = gramian.Multiply(sumCoefficients);
        var combinedNorm = Math.Sqrt(Math.Max(gramian.QuadraticForm(sumCoefficients), 0));
        // Lengths below √(T·ε) of the scale are unresolvable from M (the eigenvalue rule of
        // Gramian.RankTolerance, on lengths instead of squared lengths).
        var zeroR = Math.Sqrt(n * gramian.RelativePrecision) * combinedNorm;
        var r = new double[n];
        var counted = new bool[n];
        var count = 0;
        var sumR = 0.0;
        for (var i = 0; i < n; i++)
        {
            if (!(gramian[i, i] > 0))
                continue;
            r[i] = Math.Max(combined[i] / Math.Sqrt(gramian[i, i]), 0);
            counted[i] = true;
            count++;
            sumR += r[i];
        }
        if (Alpha == 0 || count == 0 || !(sumR > 0))
        {
            Array.Fill(weights, 1.0);
            return weights;
        }
        var sumPower = 0.0;
        var powered = 0;
        for (var i = 0; i < n; i++)
        {
            if (!counted[i])
                continue;
            if (Alpha < 0 && r[i] <= zeroR)
            {
                counted[i] = false;
                continue;
            }
            r[i] /= sumR / count;
            weights[i] = Math.Pow(r[i], Alpha);
            sumPower += weights[i];
            powered++;
        }
        for (var i = 0; i < n; i++)
            weights[i] = counted[i] ? weights[i] / (sumPower / powered) : 0;
        return weights;
    }

    private static double[] Row(double[,] matrix, int i)
    {
        var n = matrix.GetLength(1);
        var row = new double[n];
        for (var k = 0; k < n; k++)
            row[k] = matrix[i, k];
        return row;
    }
}
