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
        FirstWithParameters = layers.First(l => l.HasParameters).Index;
        _fusedWithPool = FindFusedWithPool(layers, FirstWithParameters);
    }

    public static ModelPlan For(ModelSpec spec) => For(spec.Inputs, spec.Image, spec.Layers);

    /// <summary>The plan of valid layers (the parser has checked the shapes), before the spec exists.</summary>
    public static ModelPlan For(int inputs, ImageSpec? image, IReadOnlyList<LayerSpec> layers)
    {
        var plans = new List<LayerPlan>();
        var tensor = InputTensor(inputs, image, layers[0]);
        int offset = 0, parameterIndex = 0;
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var output = OutputOf(layer, tensor);
            var plan = new LayerPlan(i, layer.Kind, tensor, output, layer.Activation, -1, 0, 0, layer.Kernel, layer.Stride, layer.Padding, layer.Rate);
            if (layer.HasParameters)
            {
                var weightOffset = offset;
                var biasOffset = weightOffset + plan.WeightLength;
                plan = plan with { ParameterIndex = parameterIndex++, WeightOffset = weightOffset, BiasOffset = biasOffset };
                offset = biasOffset + output.ChannelStride;
            }
            plans.Add(plan);
            tensor = output;
        }
        return new ModelPlan(plans);
    }

    /// <summary>
    /// Floats of the flat parameter storage, every layer's weight and bias in order; a multiple of 16 (every stride
    /// is). In long so that the parser can reject an oversized model.
    /// </summary>
    public long StorageLength { get; }

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
        && layers[first + 1].Kind == LayerKind.MaxPool2D
            ? first
            : -1;

    /// <summary>
    /// The model's input as the first layer reads it: a flat row; or an image, NHWC with the channels unpadded (for one
    /// channel that is the user's NCHW row itself). A Dense first layer reads an image input's NCHW row as it is.
    /// </summary>
    private static TensorPlan InputTensor(int inputs, ImageSpec? image, LayerSpec first)
    {
        if (image is not null && first.Kind != LayerKind.Dense)
            return new TensorPlan(image.Channels, image.Height, image.Width, image.Channels, true);
        return TensorPlan.Flat(inputs, inputs);
    }

    /// <summary>The output of a layer on a valid input.</summary>
    private static TensorPlan OutputOf(LayerSpec layer, TensorPlan input) => layer.Kind switch
    {
        LayerKind.Dense => TensorPlan.Flat(layer.Units, Shapes.Padded(layer.Units)),
        LayerKind.Conv2D => new TensorPlan(layer.Units,
            Shapes.ConvOutput(input.Height, layer.Kernel, layer.Stride, layer.Padding),
            Shapes.ConvOutput(input.Width, layer.Kernel, layer.Stride, layer.Padding),
            Shapes.Padded(layer.Units), true),
        LayerKind.MaxPool2D or LayerKind.AvgPool2D =>
            input with { Height = input.Height / layer.Kernel, Width = input.Width / layer.Kernel },
        LayerKind.GlobalAveragePool => TensorPlan.Flat(input.Channels, input.ChannelStride),
        _ => input,
    };
}
