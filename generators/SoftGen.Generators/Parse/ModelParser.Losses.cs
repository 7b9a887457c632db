using System;
using System.Globalization;
using Microsoft.CodeAnalysis;
using SoftGen.Generators.Model;
using static SoftGen.Generators.Parse.AttributeArguments;

namespace SoftGen.Generators.Parse;

/// <summary>The loss attributes: exactly one per model.</summary>
internal sealed partial class ModelParser
{
    private LossSpec? _loss;
    private string? _lossName;
    private Location? _lossLocation;

    private void AddLoss(AttributeData attribute, Location? location, Func<AttributeData, Location?, LossSpec> parse)
    {
        var name = ShortName(attribute.AttributeClass!.ToDisplayString());
        if (_loss is not null)
        {
            Report(DiagnosticDescriptors.MultipleLosses, location, _type.Name, name, _lossName!);
            return;
        }
        _loss = parse(attribute, location);
        _lossName = name;
        _lossLocation = location;
    }

    private LossSpec ParseSoftmaxCrossEntropy(AttributeData attribute, Location? location)
    {
        var smoothing = NamedFloat(attribute, AttributeNames.SoftmaxCrossEntropy.LabelSmoothing) ?? 0f;
        var temperature = NamedFloat(attribute, AttributeNames.SoftmaxCrossEntropy.Temperature) ?? 1f;
        if (!(smoothing >= 0f && smoothing < 1f))
            Report(DiagnosticDescriptors.LabelSmoothingOutOfRange,
                NamedArgumentLocation(attribute, AttributeNames.SoftmaxCrossEntropy.LabelSmoothing, _cancellationToken) ?? location,
                smoothing.ToString("R", CultureInfo.InvariantCulture));
        if (!(temperature > 0f) || float.IsInfinity(temperature))
            Report(DiagnosticDescriptors.TemperatureNotPositive,
                NamedArgumentLocation(attribute, AttributeNames.SoftmaxCrossEntropy.Temperature, _cancellationToken) ?? location,
                temperature.ToString("R", CultureInfo.InvariantCulture));
        return new LossSpec(LossKindSpec.SoftmaxCrossEntropy, smoothing, temperature);
    }

    private LossSpec ParseKLDivergence(AttributeData attribute, Location? location) =>
        new(LossKindSpec.KLDivergence, 0f, 1f);

    private LossSpec ParseSigmoidCrossEntropy(AttributeData attribute, Location? location) =>
        new(LossKindSpec.SigmoidCrossEntropy, 0f, 1f);
}
