using ScottPlot;

namespace GradSurgery.Samples.MultiDigits;

/// <summary>
/// Test accuracy per epoch of every configuration, one line each, with the legend beside the plot. With
/// more configurations than the palette's 10 colours, each further group of 10 reuses the colours with
/// its own line pattern and marker, so every legend entry stays distinguishable.
/// </summary>
internal static class CurvesFigure
{
    private const int Width = 1400;
    private const int Height = 820;

    /// <summary>Writes the curves of <paramref name="summaries"/> to a PNG file.</summary>
    public static void Write(IReadOnlyList<Summary> summaries, string path)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        LinePattern[] patterns = [LinePattern.Solid, LinePattern.Dotted, LinePattern.DenselyDashed, LinePattern.Dashed];
        MarkerShape[] markers = [MarkerShape.None, MarkerShape.FilledSquare, MarkerShape.FilledTriangleUp, MarkerShape.FilledCircle];
        var multiTask = summaries.Where(s => s.Configuration.SingleTask is null).ToList();
        for (var i = 0; i < summaries.Count; i++)
        {
            var curve = summaries[i].AccuracyCurve();
            var epochs = Enumerable.Range(1, curve.Length).Select(e => (double)e).ToArray();
            var single = summaries[i].Configuration.SingleTask is not null;
            var index = single ? i - multiTask.Count : i;
            var group = Math.Min(index / palette.Colors.Length, patterns.Length - 1);
            var line = plot.Add.ScatterLine(epochs, curve.Select(a => 100 * a).ToArray(), palette.GetColor(index));
            line.LineWidth = 2;
            line.LegendText = summaries[i].Configuration.Name;
            line.LinePattern = single ? LinePattern.Dashed : patterns[group];
            line.MarkerShape = single ? MarkerShape.None : markers[group];
            line.MarkerSize = 6;
        }

        plot.Title("MultiDigits: mean test accuracy of the trained tasks");
        plot.XLabel("epoch");
        plot.YLabel("test accuracy (%)");
        plot.ShowLegend(Edge.Right);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        plot.SavePng(path, Width, Height);
    }
}
