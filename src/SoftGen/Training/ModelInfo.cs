using System;
using System.Collections.Generic;

namespace SoftGen.Training;

/// <summary>The loss a model was declared with.</summary>
public enum LossKind
{
    SoftmaxCrossEntropy,
    KLDivergence,
    SigmoidCrossEntropy,
}

/// <summary>How a parameter is initialised from the trainer's seed.</summary>
public enum ParameterInit
{
    /// <summary>All zeros (biases).</summary>
    Zeros,
    /// <summary>He/Kaiming uniform: U(-b, b), b = gain sqrt(3 / fan_in); gain sqrt(2) for ReLU and GELU, sqrt(2 / (1 + 0.01^2)) for leaky ReLU.</summary>
    KaimingUniform,
    /// <summary>Glorot/Xavier uniform: U(-b, b), b = gain sqrt(6 / (fan_in + fan_out)); gain 5/3 for tanh, 1 otherwise.</summary>
    GlorotUniform,
    /// <summary>All ones (batch and layer norm weights, gamma); draws nothing and takes no gain.</summary>
    Ones,
    /// <summary>Every element equal to the parameter's Gain (GeM's initial exponent p); draws nothing.</summary>
    Constant,
}

/// <summary>
/// One trainable tensor, named and shaped as in PyTorch's state_dict ("layers.0.weight" [out, in], "layers.0.bias" [out]).
/// </summary>
/// <param name="Name">PyTorch state_dict name.</param>
/// <param name="Rows">PyTorch's first dimension (out).</param>
/// <param name="Columns">PyTorch's second dimension (in) for a weight; 1 for a bias.</param>
/// <param name="Offset">Start in the flat parameter (and gradient) storage.</param>
/// <param name="StorageStride">
/// For a weight, the padded row length of the stored transpose: element [o, i] lives at Offset + i * StorageStride + o.
/// For a bias, element [o] lives at Offset + o. See <see cref="Cpu.IDenseShape"/>.
/// </param>
/// <param name="Init">Initialisation rule.</param>
/// <param name="Gain">Gain of the initialisation rule, from the following activation.</param>
public sealed record ParameterInfo(string Name, int Rows, int Columns, int Offset, int StorageStride, ParameterInit Init, float Gain)
{
    /// <summary>Stored as the transpose of a matrix (see <see cref="StorageStride"/>): every weight but a one-dimensional one.</summary>
    public bool IsWeight => !OneDimensional && (Columns > 1 || Name.EndsWith(".weight", StringComparison.Ordinal));

    /// <summary>
    /// A vector whose PyTorch shape is [Rows] even though it is named ".weight", as a batch or layer norm's weight
    /// (gamma): Columns is 1 and element [o] lives at Offset + o, as a bias's does.
    /// </summary>
    public bool OneDimensional { get; init; }

    /// <summary>Number of real elements (Rows * Columns).</summary>
    public int Length => Rows * Columns;

    /// <summary>
    /// Square Conv2D weights: the kernel size k, so that the PyTorch shape is [Rows, Columns / k^2, k, k]; 0 for other
    /// parameters and for rectangular kernels. Setting it sets <see cref="KernelHeight"/> and <see cref="KernelWidth"/>.
    /// </summary>
    public int KernelSize
    {
        get => KernelHeight == KernelWidth ? KernelWidth : 0;
        init => KernelHeight = KernelWidth = value;
    }

    /// <summary>Conv2D weights: the kernel's height (PyTorch shape [Rows, Columns / (kh kw), kh, kw]); 0 for other parameters.</summary>
    public int KernelHeight { get; init; }

    /// <summary>Conv2D and Conv1D weights: the kernel's width (a Conv1D's length); 0 for other parameters.</summary>
    public int KernelWidth { get; init; }

    /// <summary>A Conv1D weight: PyTorch shape [Rows, Columns / KernelWidth, KernelWidth] (KernelHeight is not used).</summary>
    public bool Conv1D { get; init; }

    /// <summary>
    /// A grouped convolution stored block-diagonally: filter o reads the input channels of its group, stored from row
    /// (o / (Rows / Groups)) * (Columns / Positions) of each kernel position. 1 for every other weight.
    /// </summary>
    public int Groups { get; init; } = 1;

    /// <summary>Kernel positions of a convolution weight (1 for a Conv1D's height); 0 for other parameters.</summary>
    public int Taps => Conv1D ? KernelWidth : KernelHeight * KernelWidth;

    /// <summary>
    /// Weights whose inputs are images stored channels-last: PyTorch column i is channel c = i / Positions at position
    /// s = i % Positions (the kernel position of a Conv2D, the pixel of a Dense after an image), and it is stored as row
    /// s * <see cref="ChannelStride"/> + c of the transposed weight. 1 (the default) means column i is row i.
    /// </summary>
    public int Positions { get; init; } = 1;

    /// <summary>Stored rows per position when <see cref="Positions"/> &gt; 1 (the input's padded channel count).</summary>
    public int ChannelStride { get; init; }

    /// <summary>The stored row of PyTorch column <paramref name="column"/> of row (output) <paramref name="row"/>.</summary>
    public int StorageRow(int row, int column)
    {
        var positions = Math.Max(1, Positions);
        var group = Groups > 1 ? row / (Rows / Groups) * (Columns / positions) : 0;
        return positions == 1 ? column + group : column % positions * ChannelStride + group + column / positions;
    }

    /// <summary>PyTorch's fan-out (out times the kernel's area for a convolution weight), for Glorot initialisation.</summary>
    public int FanOut => Taps > 0 ? Rows * Taps : Rows;

    /// <summary>PyTorch shape.</summary>
    public int[] Shape => !IsWeight ? new[] { Rows }
        : Conv1D && KernelWidth > 0 ? new[] { Rows, Columns / KernelWidth, KernelWidth }
        : Taps > 0 ? new[] { Rows, Columns / Taps, KernelHeight, KernelWidth }
        : new[] { Rows, Columns };
}

/// <summary>What the generator knows about a model, for the hand-written runtime.</summary>
public sealed class ModelInfo
{
    /// <remarks>
    /// <c>outputHeight</c> and <c>outputWidth</c>: for a model whose last layer is a Conv2D, the size of its output;
    /// the loss then applies at every pixel. 1 and 1 otherwise. <c>batchNorms</c> and <c>stateLength</c>: the batch
    /// norms' running statistics and the length of the flat state storage that holds them (none and 0 by default).
    /// <c>layers</c>: the declared layers in order (empty by default, for hand-written descriptions).
    /// </remarks>
    public ModelInfo(string name, int inputs, int classes, LossKind loss, float labelSmoothing, float temperature,
        int storageLength, IReadOnlyList<ParameterInfo> parameters, string declarationHash, int outputHeight = 1, int outputWidth = 1,
        IReadOnlyList<BatchNormInfo>? batchNorms = null, int stateLength = 0, IReadOnlyList<LayerInfo>? layers = null)
    {
        Layers = layers ?? Array.Empty<LayerInfo>();
        BatchNorms = batchNorms ?? Array.Empty<BatchNormInfo>();
        StateLength = stateLength;
        var buffers = new List<BufferInfo>(3 * BatchNorms.Count);
        int minRows = 1;
        for (int n = 0; n < BatchNorms.Count; n++)
        {
            var b = BatchNorms[n];
            if (b is null) continue; // ParameterLayout.Validate names it
            buffers.Add(new BufferInfo(b.RunningMeanName, BufferKind.RunningMean, b, n));
            buffers.Add(new BufferInfo(b.RunningVarName, BufferKind.RunningVar, b, n));
            buffers.Add(new BufferInfo(b.BatchesTrackedName, BufferKind.NumBatchesTracked, b, n));
            minRows = Math.Max(minRows, b.MinTrainingRows);
        }
        Buffers = buffers;
        MinTrainingRows = minRows;
        OutputHeight = outputHeight;
        OutputWidth = outputWidth;
        Name = name;
        Inputs = inputs;
        Classes = classes;
        Loss = loss;
        LabelSmoothing = labelSmoothing;
        Temperature = temperature;
        StorageLength = storageLength;
        Parameters = parameters;
        DeclarationHash = declarationHash;
    }

    /// <summary>The model class's full name.</summary>
    public string Name { get; }
    public int Inputs { get; }
    public int Classes { get; }

    /// <summary>Height of the per-pixel output (1 for models whose output is one row of classes).</summary>
    public int OutputHeight { get; }

    /// <summary>Width of the per-pixel output (1 for models whose output is one row of classes).</summary>
    public int OutputWidth { get; }

    /// <summary>Pixels the loss applies at: 1, or OutputHeight x OutputWidth for a per-pixel (Conv2D) head.</summary>
    public int OutputPixels => OutputHeight * OutputWidth;

    /// <summary>Values per row of targets, probabilities and logits: [Classes] or [Classes, OutputHeight, OutputWidth].</summary>
    public int OutputsPerRow => Classes * OutputPixels;

    public LossKind Loss { get; }
    public float LabelSmoothing { get; }
    public float Temperature { get; }

    /// <summary>Length of the flat parameter storage, padding included (a multiple of 16).</summary>
    public int StorageLength { get; }

    public IReadOnlyList<ParameterInfo> Parameters { get; }

    /// <summary>The declared layers in order, as the generator planned them (empty for a hand-written description).</summary>
    public IReadOnlyList<LayerInfo> Layers { get; }

    /// <summary>The batch norms whose running statistics the model keeps, in layer order (empty for most models).</summary>
    public IReadOnlyList<BatchNormInfo> BatchNorms { get; }

    /// <summary>
    /// Length of the flat state storage (running means and variances; padding included, a multiple of 16). The
    /// optimizer never touches it: training passes update it, prediction reads it.
    /// </summary>
    public int StateLength { get; }

    /// <summary>
    /// The buffers of the state_dict (each batch norm's running_mean, running_var and num_batches_tracked, in layer
    /// order): with <see cref="Parameters"/>, every tensor PyTorch's state_dict of the equivalent module holds.
    /// </summary>
    public IReadOnlyList<BufferInfo> Buffers { get; }

    /// <summary>
    /// The fewest rows a training batch may have: 2 when a batch norm follows a Dense (one row would leave one value
    /// per channel, which PyTorch refuses: "Expected more than 1 value per channel when training"), else 1.
    /// </summary>
    public int MinTrainingRows { get; }

    /// <summary>A hash of the declaration (layers and loss), to tell whether saved weights belong to this model.</summary>
    public string DeclarationHash { get; }

    /// <summary>True for the losses whose targets are distributions over the classes (each row sums to 1).</summary>
    public bool TargetsAreDistributions => Loss != LossKind.SigmoidCrossEntropy;

    /// <summary>The parameter with this state_dict name (ordinal comparison), or null.</summary>
    public ParameterInfo? FindParameter(string name)
    {
        foreach (var p in Parameters)
            if (string.Equals(p.Name, name, StringComparison.Ordinal)) return p;
        return null;
    }

    /// <summary>The buffer with this state_dict name (ordinal comparison), or null.</summary>
    public BufferInfo? FindBuffer(string name)
    {
        foreach (var b in Buffers)
            if (string.Equals(b.Name, name, StringComparison.Ordinal)) return b;
        return null;
    }

    /// <summary>The buffers' state_dict names, in <see cref="Buffers"/> order.</summary>
    public IEnumerable<string> BufferNames
    {
        get
        {
            foreach (var b in Buffers) yield return b.Name;
        }
    }

    /// <summary>
    /// The first batch norm that a training batch of <paramref name="rows"/> rows would leave with a single value per
    /// channel, or null when every batch norm can train on it.
    /// </summary>
    public BatchNormInfo? BatchNormRefusing(int rows)
    {
        foreach (var b in BatchNorms)
            if (b is not null && (long)rows * b.Pixels < 2) return b;
        return null;
    }

    /// <summary>The parameters' state_dict names, in table order.</summary>
    public IEnumerable<string> ParameterNames
    {
        get
        {
            foreach (var p in Parameters) yield return p.Name;
        }
    }

    /// <summary>Trainable values, padding excluded (PyTorch's sum of numel over parameters).</summary>
    public long ParameterCount
    {
        get
        {
            long total = 0;
            foreach (var p in Parameters) total += p.Length;
            return total;
        }
    }
}
