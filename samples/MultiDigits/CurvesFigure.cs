using ScottPlot;

namespace GradSurgery.Samples.MultiDigits;

/// <summary>Test accuracy per epoch of every configuration, one line each.</summary>
internal static class CurvesFigure
{
    private const int Width = 900;
    private const int Height = 560;

    /// <summary>Writes the curves of <paramref name="summaries"/> to a PNG file.</summary>
    public static void Write(IReadOnlyList<Summary> summaries, string path)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < summaries.Count; i++)
        {
            var curve = summaries[i].AccuracyCurve();
            var epochs = Enumerable.Range(1, curve.Length).Select(e => (double)e).ToArray();
            var line = plot.Add.ScatterLine(epochs, curve.Select(a => 100 * a).ToArray(), palette.GetColor(i));
            line.LineWidth = 2;
            line.LegendText = summaries[i].Configuration.Name;
            if (summaries[i].Configuration.SingleTask is not null)
            {
                line.LinePattern = LinePattern.Dashed;
            }
        }

        plot.Title("MultiDigits: mean test accuracy of the trained tasks");
        plot.XLabel("epoch");
        plot.YLabel("test accuracy (%)");
        plot.ShowLegend(Alignment.LowerRight);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        plot.SavePng(path, Width, Height);
    }
}
