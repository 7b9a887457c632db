using System;
using System.Collections.Generic;
using System.IO;
using ScottPlot;
using SoftGen.Metrics;

namespace SoftGen.Examples;

/// <summary>The examples' figures (ScottPlot, PNG): reliability diagrams and per-epoch curves.</summary>
internal static class Plots
{
    private static readonly Color[] Palette =
    {
        Color.FromHex("#1f77b4"), Color.FromHex("#d62728"), Color.FromHex("#2ca02c"),
        Color.FromHex("#9467bd"), Color.FromHex("#ff7f0e"), Color.FromHex("#8c564b"),
    };

    /// <summary>One model or more on a reliability diagram.</summary>
    public sealed record Reliability(string Name, ReliabilityBin[] Bins, double Ece);

    /// <summary>One curve: a value per epoch (1, 2, ...); OnRight puts it on the right-hand axis.</summary>
    public sealed record Curve(string Name, IReadOnlyList<double> Values, bool Dashed = false, bool OnRight = false);

    /// <summary>
    /// Accuracy against mean confidence for each non-empty bin, beside the diagonal of perfect calibration. One
    /// model is drawn as Guo et al. draw it: a bar per bin at its accuracy, with a line through the bins' confidences.
    /// </summary>
    public static string ReliabilityDiagram(string directory, string fileName, string title, IReadOnlyList<Reliability> models)
    {
        var plot = new Plot();
        var diagonal = plot.Add.Scatter(new[] { 0.0, 1.0 }, new[] { 0.0, 1.0 });
        diagonal.Color = Colors.Gray;
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.MarkerSize = 0;
        diagonal.LegendText = "perfect calibration";

        for (int m = 0; m < models.Count; m++)
        {
            var (confidence, accuracy, centres) = NonEmpty(models[m].Bins);
            var color = Palette[m % Palette.Length];
            string label = $"{models[m].Name} (ECE {models[m].Ece:F3})";
            if (models.Count == 1)
            {
                var bars = plot.Add.Bars(centres, accuracy);
                foreach (var bar in bars.Bars)
                {
                    bar.Size = models[m].Bins[0].Upper - models[m].Bins[0].Lower;
                    bar.FillColor = color.WithAlpha(0.55);
                    bar.LineColor = color;
                }
                bars.LegendText = label + ": accuracy per bin";
                var gap = plot.Add.Scatter(centres, confidence);
                gap.Color = Colors.Black;
                gap.LineWidth = 1.5f;
                gap.MarkerSize = 5;
                gap.LegendText = "mean confidence per bin";
            }
            else
            {
                var line = plot.Add.Scatter(confidence, accuracy);
                line.Color = color.WithAlpha(0.6);
                line.LineWidth = 1.5f;
                line.MarkerSize = 0;
                line.LegendText = label;
                // A bin of one row is 0 or 1 by chance: the marker's size says how many rows stand behind it.
                var counts = NonEmptyCounts(models[m].Bins);
                for (int b = 0; b < counts.Length; b++)
                {
                    var marker = plot.Add.Marker(confidence[b], accuracy[b]);
                    marker.Color = color;
                    marker.Size = (float)Math.Min(26, 5 + 3 * Math.Log2(1 + counts[b]));
                }
            }
        }

        plot.Title(title);
        plot.XLabel(models.Count == 1 ? "confidence (bin)" : "mean confidence in bin (marker size: rows in bin, log scale)");
        plot.YLabel("accuracy in bin");
        plot.Axes.SetLimits(0, 1.02, 0, 1.05);
        plot.ShowLegend(models.Count == 1 ? Alignment.UpperLeft : Alignment.LowerRight);
        return Save(plot, directory, fileName);
    }

    /// <summary>Curves over epochs, with a right-hand axis for the curves that ask for it.</summary>
    public static string EpochCurves(string directory, string fileName, string title, string leftLabel, IReadOnlyList<Curve> curves, string? rightLabel = null)
    {
        var plot = new Plot();
        for (int c = 0; c < curves.Count; c++)
        {
            var values = curves[c].Values;
            var xs = new double[values.Count];
            var ys = new double[values.Count];
            for (int e = 0; e < xs.Length; e++)
            {
                xs[e] = e + 1;
                ys[e] = values[e];
            }
            var line = plot.Add.Scatter(xs, ys);
            line.Color = Palette[c % Palette.Length];
            line.LineWidth = 2;
            line.MarkerSize = 0;
            if (curves[c].Dashed) line.LinePattern = LinePattern.Dashed;
            if (curves[c].OnRight) line.Axes.YAxis = plot.Axes.Right;
            line.LegendText = curves[c].Name;
        }
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(leftLabel);
        if (rightLabel is not null) plot.Axes.Right.Label.Text = rightLabel;
        plot.ShowLegend(Alignment.UpperRight);
        return Save(plot, directory, fileName);
    }

    private static (double[] Confidence, double[] Accuracy, double[] Centres) NonEmpty(ReliabilityBin[] bins)
    {
        var confidence = new List<double>();
        var accuracy = new List<double>();
        var centres = new List<double>();
        foreach (var bin in bins)
        {
            if (bin.Count == 0) continue;
            confidence.Add(bin.Confidence);
            accuracy.Add(bin.Accuracy);
            centres.Add((bin.Lower + bin.Upper) / 2);
        }
        return (confidence.ToArray(), accuracy.ToArray(), centres.ToArray());
    }

    private static long[] NonEmptyCounts(ReliabilityBin[] bins)
    {
        var counts = new List<long>();
        foreach (var bin in bins)
            if (bin.Count > 0) counts.Add(bin.Count);
        return counts.ToArray();
    }

    private static string Save(Plot plot, string directory, string fileName)
    {
        Directory.CreateDirectory(directory);
        string path = Path.GetFullPath(Path.Combine(directory, fileName));
        plot.SavePng(path, 900, 640);
        return path;
    }
}
