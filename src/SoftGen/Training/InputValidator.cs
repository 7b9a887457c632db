using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace SoftGen.Training;

/// <summary>
/// Checks inputs and targets before anything changes. Nothing here allocates unless it throws: the messages are
/// built in separate, never-inlined methods. Row numbers are <c>firstRow</c> + the row in the span, so Fit can name
/// the row in the whole data set.
/// </summary>
internal static class InputValidator
{
    /// <summary>Sum tolerance for softmax-family target rows.</summary>
    public const double SumTolerance = 1e-3;

    public static void CheckLength(int actual, int rows, int width, string what, string rowWord, string paramName)
    {
        if (actual != (long)rows * width) ThrowLength(actual, rows, width, what, rowWord, paramName);
    }

    public static void CheckFeatures(ReadOnlySpan<float> inputs, int width, int firstRow, string paramName)
    {
        for (int k = 0; k < inputs.Length; k++)
            if (!float.IsFinite(inputs[k])) ThrowFeature(inputs[k], firstRow + k / width, k % width, paramName);
    }

    public static void CheckTargets(ReadOnlySpan<float> targets, ModelInfo model, int firstRow, string paramName)
    {
        if (model.OutputPixels > 1)
        {
            CheckPixelTargets(targets, model, firstRow, paramName);
            return;
        }
        int classes = model.Classes;
        bool distributions = model.TargetsAreDistributions;
        int rows = targets.Length / classes;
        for (int r = 0; r < rows; r++)
        {
            var row = targets.Slice(r * classes, classes);
            double sum = 0;
            for (int c = 0; c < classes; c++)
            {
                float y = row[c];
                if (!float.IsFinite(y) || y < 0f) ThrowTarget(y, firstRow + r, c, paramName);
                if (!distributions && y > 1f) ThrowBinaryTarget(y, firstRow + r, c, paramName);
                sum += y;
            }
            if (distributions && !(Math.Abs(sum - 1.0) <= SumTolerance)) ThrowSum(sum, firstRow + r, model.Loss, paramName);
        }
    }

    /// <summary>Per-pixel targets [rows, Classes, OutputHeight, OutputWidth]: the checks of a row, at every pixel.</summary>
    private static void CheckPixelTargets(ReadOnlySpan<float> targets, ModelInfo model, int firstRow, string paramName)
    {
        int classes = model.Classes, pixels = model.OutputPixels;
        bool distributions = model.TargetsAreDistributions;
        int rows = targets.Length / (classes * pixels);
        for (int r = 0; r < rows; r++)
            for (int p = 0; p < pixels; p++)
            {
                double sum = 0;
                for (int c = 0; c < classes; c++)
                {
                    float y = targets[(r * classes + c) * pixels + p];
                    if (!float.IsFinite(y) || y < 0f) ThrowPixelTarget(y, firstRow + r, p, c, model, "targets must be finite and non-negative", paramName);
                    if (!distributions && y > 1f)
                        ThrowPixelTarget(y, firstRow + r, p, c, model, "sigmoid cross-entropy targets are per-class probabilities in [0, 1]", paramName);
                    sum += y;
                }
                if (distributions && !(Math.Abs(sum - 1.0) <= SumTolerance)) ThrowPixelSum(sum, firstRow + r, p, model, paramName);
            }
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowPixelTarget(float value, int row, int pixel, int c, ModelInfo model, string rule, string paramName) =>
        throw new ArgumentException(
            $"Target row {row}, pixel (y {pixel / model.OutputWidth}, x {pixel % model.OutputWidth}), class {c} is {value}; {rule}.", paramName);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowPixelSum(double sum, int row, int pixel, ModelInfo model, string paramName) =>
        throw new ArgumentException(
            $"Target row {row}, pixel (y {pixel / model.OutputWidth}, x {pixel % model.OutputWidth}) sums to {(float)sum} over its {model.Classes} classes; "
            + $"{model.Loss} targets must be distributions that sum to 1 at every pixel (within {SumTolerance}).", paramName);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLength(int actual, int rows, int width, string what, string rowWord, string paramName) =>
        throw new ArgumentException(
            $"{what} has {actual} values, but {rows} {rowWord} of {width} need {(long)rows * width}.", paramName);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowFeature(float value, int row, int column, string paramName) =>
        throw new ArgumentException($"Input row {row}, column {column} is {value}; inputs must be finite.", paramName);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTarget(float value, int row, int column, string paramName) =>
        throw new ArgumentException($"Target row {row}, class {column} is {value}; targets must be finite and non-negative.", paramName);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBinaryTarget(float value, int row, int column, string paramName) =>
        throw new ArgumentException(
            $"Target row {row}, class {column} is {value}; sigmoid cross-entropy targets are per-class probabilities in [0, 1].", paramName);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowSum(double sum, int row, LossKind loss, string paramName) =>
        throw new ArgumentException(
            $"Target row {row} sums to {(float)sum}; {loss} targets must be distributions whose rows sum to 1 (within {SumTolerance}).", paramName);
}
