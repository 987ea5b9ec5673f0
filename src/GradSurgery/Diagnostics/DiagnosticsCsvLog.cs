using System;
using System.Globalization;
using System.IO;
using System.Linq;

namespace GradSurgery;

/// <summary>
/// Writes one CSV row of <see cref="GradientDiagnostics"/> per aggregation: step, conflicting pairs, κ,
/// update norm, then each task's weight and gradient norm. Attach it with
/// <c>optimizer.Aggregated += log.Append</c>.
/// </summary>
public sealed class DiagnosticsCsvLog : IDisposable
{
    private readonly TextWriter _writer;
    private long _step;
    private bool _headerWritten;

    /// <summary>Logs to <paramref name="writer"/>, which this object then owns.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="writer"/> is null.</exception>
    public DiagnosticsCsvLog(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
    }

    /// <summary>Appends one row.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="diagnostics"/> is null.</exception>
    public void Append(GradientDiagnostics diagnostics)
    {
        ArgumentNullException.ThrowIfNull(diagnostics);
        var t = diagnostics.TaskCount;
        if (!_headerWritten)
        {
            var tasks = Enumerable.Range(0, t);
            _writer.WriteLine(string.Join(",", new[] { "step", "conflicting_pairs", "condition_number", "update_norm" }
                .Concat(tasks.Select(i => $"weight_{i}")).Concat(tasks.Select(i => $"norm_{i}"))));
            _headerWritten = true;
        }
        var c = CultureInfo.InvariantCulture;
        _writer.WriteLine(string.Join(",", new[]
            {
                (_step++).ToString(c),
                diagnostics.ConflictingPairs.ToString(c),
                diagnostics.ConditionNumber.ToString("R", c),
                diagnostics.UpdateNorm.ToString("R", c),
            }
            .Concat(diagnostics.Weights.Select(w => w.ToString("R", c)))
            .Concat(diagnostics.GradientNorms.Select(n => n.ToString("R", c)))));
    }

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();
}
