// SCRATCH until branch `layers` lands ModelInfo.Layers: the agreed contract, and a registry the tests fill by hand.
using System;
using System.Collections.Generic;

namespace SoftGen.Training;

public enum LayerKind { Dense, Conv, MaxPool, AvgPool, GlobalAveragePool, Dropout, BatchNorm, LayerNorm, ResidualEnd, SqueezeExcitation, GemPool }
public readonly record struct TensorShape(int Channels, int Height, int Width, bool Spatial, bool Signal);
public sealed record LayerWindow(int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth, int PaddingHeight, int PaddingWidth,
    int DilationHeight = 1, int DilationWidth = 1, int Groups = 1);
public sealed record LayerInfo(int Index, LayerKind Kind, SoftGen.Activation Activation, TensorShape Input, TensorShape Output)
{
    public string Name => "layers." + Index;
    public LayerWindow? Window { get; init; }
    public bool Bias { get; init; } = true;
    public float Rate { get; init; }
    public float Epsilon { get; init; }
    public float Momentum { get; init; }
    public int BlockStart { get; init; } = -1;
    public LayerWindow? Projection { get; init; }
    public int Squeeze { get; init; }
    public float P { get; init; }
    public bool Learnable { get; init; }
}

public static class ScratchLayers
{
    public static readonly Dictionary<string, IReadOnlyList<LayerInfo>> Registry = new();

    extension(ModelInfo model)
    {
        public IReadOnlyList<LayerInfo> Layers => Registry.TryGetValue(model.Name, out var layers) ? layers : Array.Empty<LayerInfo>();
    }
}
