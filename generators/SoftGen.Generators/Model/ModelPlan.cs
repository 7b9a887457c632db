using System.Collections;
using System.Collections.Generic;
using System.Linq;

namespace SoftGen.Generators.Model;

/// <summary>
/// What the emitters derive from a spec, computed once per model: the layer plans in order (this list), the parameter
/// storage, where backward stops, and which convolution runs fused with the max pool after it. Every emitter reads
/// these facts here instead of deriving them again. The incremental pipeline caches the spec, not this plan: it is
/// built at emit time.
/// </summary>
internal sealed class ModelPlan : IReadOnlyList<LayerPlan>
{
    private readonly IReadOnlyList<LayerPlan> _layers;
    private readonly int _fusedWithPool;

    private ModelPlan(IReadOnlyList<LayerPlan> layers)
    {
        _layers = layers;
        StorageLength = layers.Sum(l => l.StorageLength);
        StateLength = layers.Sum(l => l.StateLength);
        FirstWithParameters = layers.First(l => l.HasParameters).Index;
        _fusedWithPool = layers.Any(l => l.Kind == LayerKind.ResidualEnd) ? -1 : FindFusedWithPool(layers, FirstWithParameters);
    }

    public static ModelPlan For(ModelSpec spec) => For(spec.Inputs, spec.Image, spec.Layers);

    /// <summary>The plan of valid layers (the parser has checked the shapes), before the spec exists.</summary>
    public static ModelPlan For(int inputs, ImageSpec? image, IReadOnlyList<LayerSpec> layers)
    {
        var plans = new List<LayerPlan>();
        var tensor = InputTensor(inputs, image, layers[0]);
        int offset = 0, stateOffset = 0, parameterIndex = 0;
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var output = OutputOf(layer, tensor);
            var plan = new LayerPlan(i, layer.Kind, tensor, output, layer.Activation, -1, 0, 0, layer.Window, layer.Rate)
            {
                Squeeze = layer.Kind == LayerKind.SqueezeExcitation ? tensor.Channels / layer.Reduction : 0,
                P = layer.P,
                Learnable = layer.Learnable,
                Bias = layer.Bias,
                Momentum = layer.Momentum,
                Epsilon = layer.Epsilon,
                BlockStart = layer.BlockStart,
                EndsBlock = i + 1 < layers.Count && layers[i + 1].Kind == LayerKind.ResidualEnd,
                FoldsNext = layer.IsAffine && layer.Activation == ActivationKind.None
                    && i + 1 < layers.Count && layers[i + 1].Kind == LayerKind.BatchNorm,
                AddsResidual = layer.Kind == LayerKind.BatchNorm && layer.Activation == ActivationKind.None
                    && i + 1 < layers.Count && layers[i + 1].Kind == LayerKind.ResidualEnd,
            };
            var stride = output.ChannelStride;
            switch (layer.Kind)
            {
                case LayerKind.Dense:
                case LayerKind.Conv2D:
                    plan = plan with { ParameterIndex = parameterIndex++, WeightOffset = offset, BiasOffset = offset + plan.WeightLength };
                    offset += plan.WeightLength + stride;
                    break;
                case LayerKind.BatchNorm:
                case LayerKind.LayerNorm:
                    plan = plan with { ParameterIndex = parameterIndex++, WeightOffset = offset, BiasOffset = offset + stride };
                    offset += 2 * stride;
                    if (layer.Kind == LayerKind.BatchNorm)
                    {
                        plan = plan with { StateOffset = stateOffset };
                        stateOffset += 2 * stride;
                    }
                    break;
                case LayerKind.SqueezeExcitation:
                    plan = plan with { ParameterIndex = parameterIndex++, WeightOffset = offset };
                    offset += plan.SqueezeExcitationLength;
                    break;
                case LayerKind.GemPool when layer.Learnable:
                    plan = plan with { ParameterIndex = parameterIndex++, WeightOffset = offset };
                    offset += Shapes.Lanes;
                    break;
                case LayerKind.ResidualEnd:
                    var blockInput = plans[layer.BlockStart].Input;
                    if (SameShape(blockInput, output))
                        break;
                    var weightLength = blockInput.ChannelStride * stride;
                    var (strideHeight, strideWidth) = TotalStride(layers, layer.BlockStart, i);
                    var projection = new ProjectionPlan(blockInput, output, strideHeight, strideWidth,
                        WeightOffset: offset, BiasOffset: offset + weightLength,
                        NormWeightOffset: offset + weightLength + stride, NormBiasOffset: offset + weightLength + 2 * stride,
                        StateOffset: stateOffset);
                    plan = plan with { ParameterIndex = parameterIndex, Projection = projection };
                    parameterIndex += 2;
                    offset += weightLength + 3 * stride;
                    stateOffset += 2 * stride;
                    break;
            }
            plans.Add(plan);
            tensor = output;
        }
        return new ModelPlan(plans);
    }

    private static bool SameShape(TensorPlan a, TensorPlan b) =>
        a.Channels == b.Channels && a.Height == b.Height && a.Width == b.Width && a.Spatial == b.Spatial;

    /// <summary>The products of the strides of a block's layers along each axis (Conv2D strides, pool sizes): the projection's stride.</summary>
    public static (int Height, int Width) TotalStride(IReadOnlyList<LayerSpec> layers, int start, int end)
    {
        int height = 1, width = 1;
        for (var i = start; i < end; i++)
        {
            if (layers[i].Window is { } w)
            {
                height *= w.StrideHeight;
                width *= w.StrideWidth;
            }
        }
        return (height, width);
    }

    /// <summary>
    /// Floats of the flat parameter storage, every layer's weight and bias in order; a multiple of 16 (every stride
    /// is). In long so that the parser can reject an oversized model.
    /// </summary>
    public long StorageLength { get; }

    /// <summary>Floats of the running-statistics storage: each batch norm's running mean, then its running variance.</summary>
    public int StateLength { get; }

    /// <summary>True when training and prediction run different passes: dropout, or batch norm's batch statistics.</summary>
    public bool HasTrainingMode => _layers.Any(l => l.Kind == LayerKind.Dropout || l.StateLength > 0);

    /// <summary>The index of the first layer with parameters: backward stops there, nothing before it needs a gradient.</summary>
    public int FirstWithParameters { get; }

    /// <summary>
    /// True when layer <paramref name="index"/> is a convolution that the CPU program runs fused with the max pool
    /// after it: the two then run as one kernel each way (ConvKernels.ForwardMaxPool, BackwardWeightsMaxPool), and the
    /// convolution's output and its gradient, the largest tensors of a typical CNN, are never stored.
    /// </summary>
    public bool FusedWithPool(int index) => index == _fusedWithPool;

    public int Count => _layers.Count;

    public LayerPlan this[int index] => _layers[index];

    public IEnumerator<LayerPlan> GetEnumerator() => _layers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// The fusion applies to the first layer with parameters when it is a convolution of the input image with fewer
    /// than 16 floats per pixel (the runtime's direct path), a max pool follows, and a layer follows that (the pool is
    /// not the output). -1 when no layer qualifies.
    /// </summary>
    private static int FindFusedWithPool(IReadOnlyList<LayerPlan> layers, int first) =>
        first + 2 < layers.Count && layers[first].Kind == LayerKind.Conv2D && layers[first].Input.ChannelStride < Shapes.Lanes
        && layers[first].Window!.IsSquare && layers[first + 1].Kind == LayerKind.MaxPool2D && layers[first + 1].Window!.IsSquare
            ? first
            : -1;

    /// <summary>
    /// The model's input as the first layer reads it: a flat row; or an image, NHWC with the channels unpadded (for one
    /// channel that is the user's NCHW row itself). A Dense first layer reads an image input's NCHW row as it is.
    /// </summary>
    private static TensorPlan InputTensor(int inputs, ImageSpec? image, LayerSpec first)
    {
        if (image is not null && first.Kind != LayerKind.Dense)
            return new TensorPlan(image.Channels, image.Height, image.Width, image.Channels, true) { Signal = image.Signal };
        return TensorPlan.Flat(inputs, inputs);
    }

    /// <summary>The output of a layer on a valid input.</summary>
    private static TensorPlan OutputOf(LayerSpec layer, TensorPlan input) => layer.Kind switch
    {
        LayerKind.Dense => TensorPlan.Flat(layer.Units, Shapes.Padded(layer.Units)),
        LayerKind.Conv2D => new TensorPlan(layer.Units, layer.Window!.OutHeight(input.Height), layer.Window.OutWidth(input.Width),
            Shapes.Padded(layer.Units), true) { Signal = input.Signal },
        LayerKind.MaxPool2D or LayerKind.AvgPool2D =>
            input with { Height = input.Height / layer.Window!.KernelHeight, Width = input.Width / layer.Window.KernelWidth },
        LayerKind.GlobalAveragePool or LayerKind.GemPool => TensorPlan.Flat(input.Channels, input.ChannelStride),
        _ => input,
    };
}
