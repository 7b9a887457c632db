using System;

namespace SoftGen.Training;

// Per-pixel models (a Conv2D head): probabilities and targets are [rows, Classes, OutputHeight, OutputWidth], so a
// pixel's classes lie OutputPixels apart. Evaluate scores every pixel as one prediction; PredictClasses gives one
// class per pixel.
public abstract unsafe partial class TrainerBase
{
    /// <summary>The argmax over the classes at each pixel of <paramref name="rows"/> rows of NCHW probabilities.</summary>
    private void PixelClasses(float* probabilities, int rows, Span<int> classes)
    {
        int count = _model.Classes, pixels = _model.OutputPixels;
        for (int r = 0; r < rows; r++)
        {
            float* row = probabilities + (nint)r * count * pixels;
            for (int p = 0; p < pixels; p++)
            {
                int best = 0;
                for (int c = 1; c < count; c++)
                    if (row[(nint)c * pixels + p] > row[(nint)best * pixels + p]) best = c;
                classes[r * pixels + p] = best;
            }
        }
    }

    /// <summary>Adds every pixel of <paramref name="rows"/> rows to the metrics, each as one prediction against its target.</summary>
    private void AddPixelMetrics(ref Metrics metrics, float* probabilities, ReadOnlySpan<float> targets, int rows)
    {
        int count = _model.Classes, pixels = _model.OutputPixels;
        Span<float> p = count <= 256 ? stackalloc float[count] : new float[count];
        Span<float> y = count <= 256 ? stackalloc float[count] : new float[count];
        for (int r = 0; r < rows; r++)
            for (int q = 0; q < pixels; q++)
            {
                int first = r * count * pixels + q;
                for (int c = 0; c < count; c++)
                {
                    p[c] = probabilities[first + c * pixels];
                    y[c] = targets[first + c * pixels];
                }
                if (_model.TargetsAreDistributions) metrics.AddDistribution(p, y);
                else metrics.AddBernoulli(p, y);
            }
    }

    /// <summary>
    /// Reorders <paramref name="rows"/> rows of NCHW values [Classes, pixels] in place into [pixels, Classes], so that
    /// each pixel's classes lie side by side, as temperature scaling reads them.
    /// </summary>
    private void PixelsToRows(float[] values, int rows)
    {
        int classes = _model.Classes, pixels = _model.OutputPixels, length = classes * pixels;
        var row = new float[length];
        for (int r = 0; r < rows; r++)
        {
            var span = values.AsSpan(r * length, length);
            span.CopyTo(row);
            for (int c = 0; c < classes; c++)
                for (int q = 0; q < pixels; q++)
                    span[q * classes + c] = row[c * pixels + q];
        }
    }
}
