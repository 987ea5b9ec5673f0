using System;
using System.Collections.Generic;

namespace GradSurgery;

/// <summary>
/// Projection onto the dual cone of the gradients, C = {d : gᵢ·d ≥ 0 for every i}, written on their
/// Gram matrix M. The vector to project is given by its weights u (x = Σᵢ uᵢ·gᵢ); the projection is
/// x + Σᵢ vᵢ·gᵢ with v ≥ 0 minimising ½vᵀMv + vᵀM·u (the dual of min ½‖d − x‖² over C), so the result
/// is returned as the weights u + v. CAGrad's degenerate case projects the mean (u = 𝟙/T); UPGrad and
/// DualProj (Quinton &amp; Rey 2024) project each gᵢ and the mean.
/// </summary>
/// <remarks>
/// Lawson–Hanson's active-set method for non-negative least squares, written on the normal equations
/// (v ≥ 0, minimise ½‖A·v + A·u‖² with AᵀA = M): finite and exact up to rounding. Each step solves the
/// unconstrained problem on the free set P, M_PP·v_P = −(M·u)_P, which is consistent even when M_PP is
/// singular ((M·u)_P = G_P·x lies in the range of M_PP = G_P·G_Pᵀ), so its pseudo-inverse solution is
/// exact. A gradient in the span of the free set's gradients never enters P (its slope is then zero),
/// so rank-deficient M are normal inputs.
/// </remarks>
internal static class DualConeProjection
{
    /// <summary>
    /// Slope below which a task does not enter the free set, relative to max Mᵢᵢ (M is normalised to
    /// max Mᵢᵢ = 1): a few hundred ulps, above the rounding of M·v, far below any slope that matters.
    /// </summary>
    private const double SlopeTolerance = 1e-13;

    /// <summary>Outer steps allowed per task; Lawson–Hanson needs about one, the cap only ends a rounding loop.</summary>
    private const int StepsPerTask = 3;

    /// <summary>Returns <paramref name="epsilon"/> when it is a usable regularisation of <see cref="SumOfRegularizedProjections"/>: finite and ≥ 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">It is negative, NaN or infinite.</exception>
    public static double RequireRegularization(double epsilon, string parameterName) =>
        epsilon >= 0 && !double.IsPositiveInfinity(epsilon)
            ? epsilon
            : throw new ArgumentOutOfRangeException(parameterName, epsilon, "The regularization must be finite and ≥ 0.");

    /// <summary>
    /// Σₖ of the weights of each target projected with M/tr(M) + ε·I, the Gram matrix the UPGrad and
    /// DualProj references project with (both divide by the trace, then add ε = 1e-4 to the diagonal).
    /// Dividing by the trace makes ε relative, so the weights do not depend on the gradients' scale.
    /// When tr(M) = 0 (every gradient is zero, every vector is in the cone) the targets are returned summed.
    /// </summary>
    /// <param name="gramian">The Gram matrix of the gradients.</param>
    /// <param name="epsilon">The diagonal regularisation ε ≥ 0 (0: exact projections).</param>
    /// <param name="targets">The weights u of each vector to project.</param>
    public static double[] SumOfRegularizedProjections(Gramian gramian, double epsilon, IEnumerable<double[]> targets)
    {
        var n = gramian.TaskCount;
        var trace = 0.0;
        for (var i = 0; i < n; i++)
            trace += gramian[i, i];
        double[,]? m = null;
        if (trace > 0)
        {
            m = new double[n, n];
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++)
                    m[i, j] = gramian[i, j] / trace;
                m[i, i] += epsilon;
            }
        }
        var sum = new double[n];
        foreach (var u in targets)
        {
            var weights = m is null ? u : Solve(m, u);
            for (var i = 0; i < n; i++)
                sum[i] += weights[i];
        }
        return sum;
    }

    /// <summary>The weights u + v of the projection of Σᵢ uᵢ·gᵢ onto the dual cone of the gradients.</summary>
    /// <param name="m">The T×T Gram matrix.</param>
    /// <param name="u">The weights of the vector to project.</param>
    public static double[] Solve(double[,] m, double[] u) => Solve(m, u, onStep: null);

    /// <summary>
    /// <see cref="Solve(double[,], double[])"/>, reporting every step to <paramref name="onStep"/> (a seam for
    /// tests: a copy of the free set and of v after each inner step that binds tasks and after each
    /// free-set minimiser accepted).
    /// </summary>
    internal static double[] Solve(double[,] m, double[] u, Action<bool[], double[]>? onStep)
    {
        var n = u.Length;
        var scale = 0.0;
        for (var i = 0; i < n; i++)
            scale = Math.Max(scale, m[i, i]);
        var result = (double[])u.Clone();
        if (!(scale > 0))
            return result;

        var k = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
                k[i, j] = m[i, j] / scale;
        }
        var c = Multiply(k, u);
        var v = new double[n];
        var free = new bool[n];
        for (var step = 0; step < StepsPerTask * n; step++)
        {
            var entering = MostDescending(k, c, v, free);
            if (entering < 0)
                break;
            free[entering] = true;
            while (true)
            {
                var s = FreeSetMinimiser(k, c, free);
                var blocking = -1;
                var fraction = double.PositiveInfinity;
                for (var i = 0; i < n; i++)
                {
                    if (!free[i] || s[i] > 0)
                        continue;
                    var ratio = v[i] / (v[i] - s[i]);
                    if (ratio < fraction)
                    {
                        fraction = ratio;
                        blocking = i;
                    }
                }
                if (blocking < 0)
                {
                    Array.Copy(s, v, n);
                    onStep?.Invoke((bool[])free.Clone(), (double[])v.Clone());
                    break;
                }
                // Step towards s until the first free weight reaches 0; it (and any that rounding
                // pushed below 0) becomes bound.
                for (var i = 0; i < n; i++)
                {
                    if (!free[i])
                        continue;
                    v[i] += fraction * (s[i] - v[i]);
                    if (i == blocking || v[i] <= 0)
                    {
                        v[i] = 0;
                        free[i] = false;
                    }
                }
                onStep?.Invoke((bool[])free.Clone(), (double[])v.Clone());
            }
        }
        for (var i = 0; i < n; i++)
            result[i] += v[i];
        return result;
    }

    /// <summary>The bound task whose objective falls fastest when it leaves 0 (slope below −tolerance); −1 when none does (KKT holds).</summary>
    private static int MostDescending(double[,] k, double[] c, double[] v, bool[] free)
    {
        var n = c.Length;
        var entering = -1;
        var steepest = -SlopeTolerance;
        for (var i = 0; i < n; i++)
        {
            if (free[i])
                continue;
            var slope = c[i];
            for (var j = 0; j < n; j++)
                slope += k[i, j] * v[j];
            if (slope < steepest)
            {
                steepest = slope;
                entering = i;
            }
        }
        return entering;
    }

    /// <summary>s with s_P = −pinv(K_PP)·c_P on the free set P and 0 elsewhere.</summary>
    private static double[] FreeSetMinimiser(double[,] k, double[] c, bool[] free)
    {
        var n = c.Length;
        var index = new int[n];
        var count = 0;
        for (var i = 0; i < n; i++)
        {
            if (free[i])
                index[count++] = i;
        }
        var s = new double[n];
        if (count == 0)
            return s;
        var sub = new double[count, count];
        var rhs = new double[count];
        for (var a = 0; a < count; a++)
        {
            rhs[a] = -c[index[a]];
            for (var b = 0; b < count; b++)
                sub[a, b] = k[index[a], index[b]];
        }
        var solution = Cholesky.TrySolve(sub, rhs, SingularPivot) ?? PseudoInverseSolve(sub, rhs);
        for (var a = 0; a < count; a++)
            s[index[a]] = solution[a];
        return s;
    }

    /// <summary>The minimum-norm solution pinv(A)·b, eigenvalues at or below m·ε·λmax counting as zero.</summary>
    private static double[] PseudoInverseSolve(double[,] a, double[] b)
    {
        var eigen = SymmetricEigen.Of(a);
        var largest = Math.Max(eigen.Values[b.Length - 1], 0);
        return eigen.PseudoInverseTimes(b, b.Length * Gramian.DoublePrecisionEpsilon * largest);
    }

    /// <summary>
    /// A Cholesky pivot below this fraction of its diagonal entry means the free set's gradients are
    /// (nearly) dependent: about 1e-6 in relative length, where a Cholesky solve loses more digits than
    /// the pseudo-inverse.
    /// </summary>
    private const double SingularPivot = 1e-12;

    private static double[] Multiply(double[,] k, double[] x)
    {
        var n = x.Length;
        var y = new double[n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
                y[i] += k[i, j] * x[j];
        }
        return y;
    }
}
