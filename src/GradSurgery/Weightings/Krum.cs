using System;
using System.Linq;

namespace GradSurgery;

/// <summary>
/// Krum and Multi-Krum (Blanchard et al., Machine Learning with Adversaries: Byzantine Tolerant Gradient
/// Descent, NeurIPS 2017): each gradient is scored by the sum of its squared distances to its T − f − 2
/// nearest other gradients (f: the number of Byzantine, arbitrary rows tolerated), and the update is
/// the mean of the k lowest-scored gradients (k = 1 is Krum).
/// </summary>
/// <remarks>
/// Distances come from the Gram matrix: ‖gᵢ − gⱼ‖² = Mᵢᵢ + Mⱼⱼ − 2Mᵢⱼ. As TorchJD: T ≥ f + 3 is required
/// (at least one neighbour per score) and 1 ≤ k ≤ T; the weights are 1/k on the selected rows. Equal
/// scores are broken by the lower task index (TorchJD leaves ties to its sort), so the result depends
/// on the task order only through ties. Linear in the gradients' scale; not conflict-free.
/// </remarks>
public sealed class Krum : IGramianWeighting
{
    /// <summary>Creates Krum (k = 1) or Multi-Krum (k &gt; 1).</summary>
    /// <param name="byzantineCount">f, the number of arbitrary gradients tolerated (≥ 0).</param>
    /// <param name="selectedCount">k, the number of gradients averaged (≥ 1; default 1, Krum itself).</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is out of range.</exception>
    public Krum(int byzantineCount, int selectedCount = 1)
    {
        if (byzantineCount < 0)
            throw new ArgumentOutOfRangeException(nameof(byzantineCount), byzantineCount, "Krum's byzantineCount f must be ≥ 0.");
        if (selectedCount < 1)
            throw new ArgumentOutOfRangeException(nameof(selectedCount), selectedCount, "Krum's selectedCount k must be ≥ 1.");
        ByzantineCount = byzantineCount;
        SelectedCount = selectedCount;
    }

    /// <inheritdoc />
    public string Name => "Krum";

    /// <summary>f, the number of arbitrary gradients tolerated.</summary>
    public int ByzantineCount { get; }

    /// <summary>k, the number of gradients averaged.</summary>
    public int SelectedCount { get; }

    /// <summary>1/k on the k gradients with the lowest Krum scores, 0 elsewhere.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="gramian"/> is null.</exception>
    /// <exception cref="ArgumentException">T &lt; f + 3 or T &lt; k.</exception>
    public double[] ComputeWeights(Gramian gramian)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        var n = gramian.TaskCount;
        if (n < ByzantineCount + 3)
            throw new ArgumentException($"Krum with f = {ByzantineCount} needs at least f + 3 = {ByzantineCount + 3} tasks; got {n}.", nameof(gramian));
        if (n < SelectedCount)
            throw new ArgumentException($"Krum cannot select k = {SelectedCount} of {n} tasks.", nameof(gramian));
        var neighbours = n - ByzantineCount - 2;
        var scores = new double[n];
        var distances = new double[n - 1];
        for (var i = 0; i < n; i++)
        {
            var count = 0;
            for (var j = 0; j < n; j++)
            {
                if (j != i)
                    distances[count++] = Math.Max(gramian[i, i] + gramian[j, j] - (2 * gramian[i, j]), 0);
            }
            Array.Sort(distances);
            for (var q = 0; q < neighbours; q++)
                scores[i] += distances[q];
        }
        var weights = new double[n];
        foreach (var i in Enumerable.Range(0, n).OrderBy(i => scores[i]).ThenBy(i => i).Take(SelectedCount))
            weights[i] = 1.0 / SelectedCount;
        return weights;
    }
}
