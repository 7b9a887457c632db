namespace SoftGen.Generators.Parse;

/// <summary>
/// The runtime's attributes (src/SoftGen/Attributes.cs) as the parser reads them. The generator targets
/// netstandard2.0 and cannot reference the runtime, so <c>nameof</c> is out of reach: each attribute has its metadata
/// name, an int constant per constructor parameter (its position, named for the parameter) and a string constant per
/// settable property (a named argument). AttributeNamesTests checks these against the runtime in both directions.
/// </summary>
internal static class AttributeNames
{
    public static class SoftModel
    {
        public const string MetadataName = "SoftGen.SoftModelAttribute";
        public const string Inputs = "Inputs";
        public const string Channels = "Channels";
        public const string Height = "Height";
        public const string Width = "Width";
        public const string Length = "Length";
        public const string Classes = "Classes";
    }

    public static class Dense
    {
        public const string MetadataName = "SoftGen.DenseAttribute";
        public const int Width = 0;
        public const int Activation = 1;
        public const string Bias = "Bias";
    }

    public static class Conv2D
    {
        public const string MetadataName = "SoftGen.Conv2DAttribute";
        public const int Filters = 0;
        public const int KernelSize = 1;
        public const int Activation = 2;
        public const string Stride = "Stride";
        public const string Padding = "Padding";
        public const string Bias = "Bias";
        public const string KernelHeight = "KernelHeight";
        public const string KernelWidth = "KernelWidth";
        public const string StrideHeight = "StrideHeight";
        public const string StrideWidth = "StrideWidth";
        public const string PaddingHeight = "PaddingHeight";
        public const string PaddingWidth = "PaddingWidth";
        public const string Dilation = "Dilation";
        public const string Groups = "Groups";
    }

    public static class Conv1D
    {
        public const string MetadataName = "SoftGen.Conv1DAttribute";
        public const int Filters = 0;
        public const int KernelSize = 1;
        public const int Activation = 2;
        public const string Stride = "Stride";
        public const string Padding = "Padding";
        public const string Dilation = "Dilation";
        public const string Groups = "Groups";
        public const string Bias = "Bias";
    }

    public static class BatchNorm
    {
        public const string MetadataName = "SoftGen.BatchNormAttribute";
        public const int Activation = 0;
        public const string Momentum = "Momentum";
        public const string Epsilon = "Epsilon";
    }

    public static class LayerNorm
    {
        public const string MetadataName = "SoftGen.LayerNormAttribute";
        public const int Activation = 0;
        public const string Epsilon = "Epsilon";
    }

    public static class Residual
    {
        public const string MetadataName = "SoftGen.ResidualAttribute";
    }

    public static class EndResidual
    {
        public const string MetadataName = "SoftGen.EndResidualAttribute";
        public const int Activation = 0;
    }

    public static class MaxPool2D
    {
        public const string MetadataName = "SoftGen.MaxPool2DAttribute";
        public const int Size = 0;
    }

    public static class AvgPool2D
    {
        public const string MetadataName = "SoftGen.AvgPool2DAttribute";
        public const int Size = 0;
    }

    public static class MaxPool1D
    {
        public const string MetadataName = "SoftGen.MaxPool1DAttribute";
        public const int Size = 0;
    }

    public static class AvgPool1D
    {
        public const string MetadataName = "SoftGen.AvgPool1DAttribute";
        public const int Size = 0;
    }

    public static class SqueezeExcitation
    {
        public const string MetadataName = "SoftGen.SqueezeExcitationAttribute";
        public const int Reduction = 0;
    }

    public static class GemPool
    {
        public const string MetadataName = "SoftGen.GemPoolAttribute";
        public const int P = 0;
        public const string Learnable = "Learnable";
        public const string Epsilon = "Epsilon";
    }

    public static class GlobalAveragePool
    {
        public const string MetadataName = "SoftGen.GlobalAveragePoolAttribute";
    }

    public static class Dropout
    {
        public const string MetadataName = "SoftGen.DropoutAttribute";
        public const int Rate = 0;
    }

    public static class SoftmaxCrossEntropy
    {
        public const string MetadataName = "SoftGen.SoftmaxCrossEntropyAttribute";
        public const string LabelSmoothing = "LabelSmoothing";
        public const string Temperature = "Temperature";
    }

    public static class KLDivergence
    {
        public const string MetadataName = "SoftGen.KLDivergenceAttribute";
    }

    public static class SigmoidCrossEntropy
    {
        public const string MetadataName = "SoftGen.SigmoidCrossEntropyAttribute";
    }

    /// <summary>Every attribute that declares a layer or a loss: on a class without [SoftModel] they are reported.</summary>
    public static readonly string[] LayersAndLosses =
    {
        Dense.MetadataName, Conv2D.MetadataName, MaxPool2D.MetadataName, AvgPool2D.MetadataName,
        GlobalAveragePool.MetadataName, Dropout.MetadataName, BatchNorm.MetadataName, LayerNorm.MetadataName,
        Residual.MetadataName, EndResidual.MetadataName, Conv1D.MetadataName, MaxPool1D.MetadataName, AvgPool1D.MetadataName,
        SqueezeExcitation.MetadataName, GemPool.MetadataName,
        SoftmaxCrossEntropy.MetadataName, KLDivergence.MetadataName, SigmoidCrossEntropy.MetadataName,
    };
}
