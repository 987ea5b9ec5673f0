using static TorchSharp.torch;

namespace GradSurgery.Samples.Toy2D;

/// <summary>
/// Every (method, start) pair of the figure optimised at once, as in the authors' toy.py but batched:
/// row r of a float32 parameter X [R, 2] is run r's point x. One autograd pass per task gives every
/// run's task gradient (the runs do not interact), one batched product gives every run's 2×2 Gram
/// matrix, and each run's method turns its Gram matrix into task weights through the library's
/// <see cref="IGramianWeighting"/> API. Adam is elementwise, so one Adam over X is R independent Adams.
/// </summary>
internal sealed class TrajectoryBatch
{
    /// <summary>Adam's learning rate in toy.py (default betas).</summary>
    public const double LearningRate = 0.001;

    /// <summary>Points kept per run for the figure: smooth curves, quick to draw.</summary>
    private const int MaxRecordedPoints = 2000;

    private const int TaskCount = 2;

    private readonly IReadOnlyList<IGramianWeighting> _weightings;

    /// <summary>Creates the batch: one run per method and start, each with a fresh weighting.</summary>
    public TrajectoryBatch(IReadOnlyList<ToyMethod> methods, IReadOnlyList<(double X1, double X2)> starts)
    {
        Runs = [.. methods.SelectMany(m => starts.Select(s => new TrajectoryRun(m, s)))];
        _weightings = [.. Runs.Select(r => r.Method.Create())];
    }

    /// <summary>The runs, method-major.</summary>
    public IReadOnlyList<TrajectoryRun> Runs { get; }

    /// <summary>Runs <paramref name="steps"/> Adam steps of every run; <paramref name="progress"/> gets the fraction done.</summary>
    public void Execute(int steps, Device device, Action<double>? progress = null)
    {
        var every = Math.Max(1, steps / MaxRecordedPoints);
        var startValues = Runs.SelectMany(r => new[] { (float)r.Start.X1, (float)r.Start.X2 }).ToArray();
        using var x = new TorchSharp.Modules.Parameter(tensor(startValues, [Runs.Count, 2], device: device));
        using var adam = optim.Adam([x], lr: LearningRate);
        using var update = zeros_like(x);
        x.grad = update;
        var weights = new float[Runs.Count * TaskCount];
        Record(x);
        for (var step = 1; step <= steps; step++)
        {
            using var scope = NewDisposeScope();
            var (l1, l2) = ToyProblem.Losses(x[.., 0], x[.., 1]);
            var g1 = autograd.grad([l1.sum()], [x], retain_graph: true)[0];
            var g2 = autograd.grad([l2.sum()], [x])[0];
            var g = stack([g1, g2], 1);                                  // [R, T, 2]
            var gram = bmm(g, g.transpose(1, 2)).cpu().data<float>().ToArray();  // R × T × T, the only host transfer
            for (var r = 0; r < Runs.Count; r++)
            {
                var runWeights = _weightings[r].ComputeWeights(RunGramian(gram, r));
                for (var t = 0; t < TaskCount; t++)
                {
                    weights[(r * TaskCount) + t] = (float)runWeights[t];
                }
            }

            var w = tensor(weights, [Runs.Count, 1, TaskCount], device: device);
            update.copy_(bmm(w, g).squeeze(1));                          // Σₜ wₜ gₜ per run, into x.grad
            adam.step();
            if (step % every == 0 || step == steps)
            {
                Record(x);
                progress?.Invoke((double)step / steps);
            }
        }
    }

    private static Gramian RunGramian(float[] gram, int run)
    {
        var values = new double[TaskCount, TaskCount];
        for (var i = 0; i < TaskCount; i++)
        {
            for (var j = 0; j < TaskCount; j++)
            {
                values[i, j] = gram[(run * TaskCount * TaskCount) + (i * TaskCount) + j];
            }
        }

        return new Gramian(values, Gramian.SinglePrecisionEpsilon);
    }

    private void Record(Tensor x)
    {
        using var scope = NewDisposeScope();
        var v = x.detach().cpu().data<float>().ToArray();
        for (var r = 0; r < Runs.Count; r++)
        {
            Runs[r].Path.Add((v[2 * r], v[(2 * r) + 1]));
        }
    }
}
