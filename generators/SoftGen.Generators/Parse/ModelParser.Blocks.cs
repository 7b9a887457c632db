using System.Globalization;
using Microsoft.CodeAnalysis;
using SoftGen.Generators.Model;
using static SoftGen.Generators.Parse.AttributeArguments;

namespace SoftGen.Generators.Parse;

/// <summary>The normalisation layers and residual blocks: where each may go, and the shape a shortcut must match.</summary>
internal sealed partial class ModelParser
{
    /// <summary>The block opened by the last [Residual]: its first layer's index, its input shape and the attribute.</summary>
    private (int Start, Shape? Input, Location? Location)? _openBlock;

    private const float DefaultMomentum = 0.1f;
    private const float DefaultEpsilon = 1e-5f;

    /// <summary>[BatchNorm(act, Momentum, Epsilon)]: right after a Conv2D (BatchNorm2d) or a Dense layer (BatchNorm1d).</summary>
    private void ParseBatchNorm(AttributeData attribute, Location? location)
    {
        var index = _layers.Count;
        var activation = ParseActivation(attribute, AttributeNames.BatchNorm.Activation, location);
        var momentum = NamedFloat(attribute, AttributeNames.BatchNorm.Momentum) ?? DefaultMomentum;
        var epsilon = NamedFloat(attribute, AttributeNames.BatchNorm.Epsilon) ?? DefaultEpsilon;
        if (!(momentum > 0f && momentum <= 1f))
            Report(DiagnosticDescriptors.NormArgumentOutOfRange,
                NamedArgumentLocation(attribute, AttributeNames.BatchNorm.Momentum, _cancellationToken) ?? location,
                "BatchNorm", index, AttributeNames.BatchNorm.Momentum, Text(momentum), "it must be in (0, 1], PyTorch's weight of the new batch in the running statistics");
        CheckEpsilon(attribute, location, "BatchNorm", index, epsilon, AttributeNames.BatchNorm.Epsilon);
        var previous = _layers.Count > 0 ? _layers[_layers.Count - 1] : null;
        if (previous is null || !previous.IsAffine)
            Report(DiagnosticDescriptors.BatchNormPlacement, location, index, PreviousText(previous));
        AddLayer(new LayerSpec(LayerKind.BatchNorm, previous?.Units ?? 0, activation, Momentum: momentum, Epsilon: epsilon), attribute, location);
    }

    /// <summary>[LayerNorm(act, Epsilon)]: right after a Dense layer, over its features.</summary>
    private void ParseLayerNorm(AttributeData attribute, Location? location)
    {
        var index = _layers.Count;
        var activation = ParseActivation(attribute, AttributeNames.LayerNorm.Activation, location);
        var epsilon = NamedFloat(attribute, AttributeNames.LayerNorm.Epsilon) ?? DefaultEpsilon;
        CheckEpsilon(attribute, location, "LayerNorm", index, epsilon, AttributeNames.LayerNorm.Epsilon);
        var previous = _layers.Count > 0 ? _layers[_layers.Count - 1] : null;
        if (previous is null || previous.Kind != LayerKind.Dense)
            Report(DiagnosticDescriptors.LayerNormPlacement, location, index, PreviousText(previous));
        AddLayer(new LayerSpec(LayerKind.LayerNorm, previous?.Units ?? 0, activation, Epsilon: epsilon), attribute, location);
    }

    private void CheckEpsilon(AttributeData attribute, Location? location, string kind, int index, float epsilon, string name)
    {
        if (epsilon > 0f && !float.IsInfinity(epsilon))
            return;
        Report(DiagnosticDescriptors.NormArgumentOutOfRange, NamedArgumentLocation(attribute, name, _cancellationToken) ?? location,
            kind, index, name, Text(epsilon), "it must be a positive, finite number (PyTorch's default is 1e-05)");
    }

    /// <summary>[Residual]: the next layer starts a block. Blocks do not nest.</summary>
    private void OpenResidual(Location? location)
    {
        if (_openBlock is { } open)
        {
            Report(DiagnosticDescriptors.ResidualNested, location, _layers.Count, open.Start);
            return;
        }
        _openBlock = (_layers.Count, _shape, location);
    }

    /// <summary>
    /// [EndResidual(act)]: closes the open block. Its shortcut is the identity when the block keeps the shape; an image
    /// block that changes channels or size gets a 1x1 Conv2D with the block's total stride, which must land on the
    /// block's output size; a row block must keep its width.
    /// </summary>
    private void CloseResidual(AttributeData attribute, Location? location)
    {
        var index = _layers.Count;
        var activation = ParseActivation(attribute, AttributeNames.EndResidual.Activation, location);
        if (_openBlock is not { } open)
        {
            Report(DiagnosticDescriptors.EndResidualWithoutResidual, location, index);
            return;
        }
        _openBlock = null;
        if (open.Start == index)
        {
            Report(DiagnosticDescriptors.ResidualEmpty, location, index);
            return;
        }
        if (open.Start == 0)
            Report(DiagnosticDescriptors.ResidualShortcutMismatch, location, open.Start, index - 1,
                "the block starts at the model's input; put a layer before [Residual] (a stem Conv2D or Dense, as in ResNet)");
        else if (open.Input is { } input && _shape is { } output && ShortcutMismatch(input, output, open.Start) is { } reason)
            Report(DiagnosticDescriptors.ResidualShortcutMismatch, location, open.Start, index - 1, reason);
        AddLayer(new LayerSpec(LayerKind.ResidualEnd, _layers[index - 1].Units, activation, BlockStart: open.Start), attribute, location);
    }

    /// <summary>Why no shortcut can carry the block's input to its output shape, or null when one can.</summary>
    private string? ShortcutMismatch(Shape input, Shape output, int start)
    {
        if (input.Spatial != output.Spatial)
            return input.Spatial
                ? "the block turns a " + ShapeText(input) + (_image?.Signal == true ? " signal" : " image") + " into a row of " + output.Channels + " features, and a shortcut can only add an image to an image"
                : "the block turns a row of features into an image";
        if (!input.Spatial)
            return input.Channels == output.Channels
                ? null
                : "a block of Dense layers must keep its width, but it turns " + input.Channels + " features into " + output.Channels + " (a projection shortcut exists only for images)";
        if (input == output)
            return null;
        var (strideHeight, strideWidth) = ModelPlan.TotalStride(_layers, start, _layers.Count);
        int height = (input.Height - 1) / strideHeight + 1, width = (input.Width - 1) / strideWidth + 1;
        var signal = _image?.Signal == true;
        var strideText = strideHeight == strideWidth || signal ? strideWidth.ToString(CultureInfo.InvariantCulture) : strideHeight + "x" + strideWidth;
        return height == output.Height && width == output.Width
            ? null
            : "its shortcut, a 1x1 " + (signal ? "Conv1D" : "Conv2D") + " with the block's total stride " + strideText + ", turns " + ShapeText(input) + " into "
                + ShapeText(output with { Height = height, Width = width }) + ", not the block's " + ShapeText(output) + "; give the block's convolutions padding dilation (k - 1) / 2";
    }

    private string ShapeText(Shape s) => _image?.Signal == true ? s.Channels + "x" + s.Width : s.Channels + "x" + s.Height + "x" + s.Width;

    private static string PreviousText(LayerSpec? previous) => previous is null ? "nothing (it is the first layer)" : "a " + previous.Kind + " layer";

    private static string Text(float value) => value.ToString("R", CultureInfo.InvariantCulture);
}
