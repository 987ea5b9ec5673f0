using ScottPlot;

namespace GradSurgery.Samples.Toy2D;

/// <summary>
/// Draws the CAGrad paper's Figure 1 layout: one panel per method, each with the three trajectories
/// over the contours of the mean loss and the Pareto set marked.
/// </summary>
internal static class FigureWriter
{
    /// <summary>The plotted square: x1, x2 ∈ [-Extent, Extent], as in toy.py's plots.</summary>
    private const double Extent = 10;

    /// <summary>Grid points per axis for the contours: fine enough for the narrow log valleys.</summary>
    private const int GridPoints = 241;

    private const int PanelColumns = 4;
    private const int PanelWidth = 420;
    private const int PanelHeight = 400;
    private const int ContourCount = 16;

    /// <summary>Height of the "Pareto set" label above the segment, in x2 units.</summary>
    private const double ParetoLabelOffset = 0.4;

    /// <summary>Writes the figure of <paramref name="runs"/> to a PNG file.</summary>
    public static void Write(IReadOnlyList<TrajectoryRun> runs, string path)
    {
        var methods = runs.Select(r => r.Method).Distinct().ToList();
        var rows = (methods.Count + PanelColumns - 1) / PanelColumns;
        var surface = MeanLossSurface();
        var multiplot = new Multiplot();
        multiplot.AddPlots(methods.Count);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, PanelColumns);
        for (var m = 0; m < methods.Count; m++)
        {
            var plot = multiplot.GetPlot(m);
            DrawPanel(plot, surface, methods[m].Name, runs.Where(r => r.Method == methods[m]).ToList());
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        multiplot.SavePng(path, PanelColumns * PanelWidth, rows * PanelHeight);
    }

    private static void DrawPanel(Plot plot, Coordinates3d[,] surface, string title, IReadOnlyList<TrajectoryRun> runs)
    {
        var contours = plot.Add.ContourLines(surface);
        contours.ContourLineCount = ContourCount;
        contours.LineColor = Colors.Gray.WithAlpha(0.6);
        contours.LabelStyle.IsVisible = false;

        var pareto = plot.Add.Line(-ToyProblem.ParetoHalfWidth, ToyProblem.ParetoX2, ToyProblem.ParetoHalfWidth, ToyProblem.ParetoX2);
        pareto.LineWidth = 4;
        pareto.Color = Colors.Gray;
        var label = plot.Add.Text("Pareto set", 0, ToyProblem.ParetoX2 + ParetoLabelOffset);
        label.Alignment = Alignment.LowerCenter;
        label.LabelFontColor = Colors.Gray;

        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < runs.Count; i++)
        {
            var color = palette.GetColor(i);
            var xs = runs[i].Path.Select(p => p.X1).ToArray();
            var ys = runs[i].Path.Select(p => p.X2).ToArray();
            var line = plot.Add.ScatterLine(xs, ys, color);
            line.LineWidth = 2;
            plot.Add.Marker(xs[0], ys[0], MarkerShape.OpenCircle, 9, color);
            plot.Add.Marker(xs[^1], ys[^1], MarkerShape.FilledDiamond, 10, color);
        }

        plot.Title(title);
        plot.XLabel("x1");
        plot.YLabel("x2");
        plot.Axes.SetLimits(-Extent, Extent, -Extent, Extent);
    }

    private static Coordinates3d[,] MeanLossSurface()
    {
        var surface = new Coordinates3d[GridPoints, GridPoints];
        for (var row = 0; row < GridPoints; row++)
        {
            for (var col = 0; col < GridPoints; col++)
            {
                var x1 = -Extent + (2 * Extent * col / (GridPoints - 1));
                var x2 = -Extent + (2 * Extent * row / (GridPoints - 1));
                var (l1, l2) = ToyProblem.Evaluate(x1, x2);
                surface[row, col] = new Coordinates3d(x1, x2, (l1 + l2) / 2);
            }
        }

        return surface;
    }
}
