using System;

namespace SoftGen.Training;

/// <summary>
/// A batch norm's running statistics, PyTorch's buffers "layers.{Layer}.running_mean", ".running_var" and
/// ".num_batches_tracked". The two float vectors live in the program's flat state storage
/// (<see cref="ModelInfo.StateLength"/> floats); the count lives in the trainer.
/// </summary>
/// <param name="Layer">The i of "layers.{i}".</param>
/// <param name="Channels">Channels (after a Conv2D) or features (after a Dense): the length of each vector.</param>
/// <param name="RunningMeanOffset">Start of running_mean [Channels] in the state storage.</param>
/// <param name="RunningVarOffset">Start of running_var [Channels] in the state storage.</param>
/// <param name="Pixels">
/// Values per channel in each row: 1 after a Dense (BatchNorm1d), height x width after a Conv2D (BatchNorm2d). A
/// training batch of r rows gives r x Pixels values per channel, and PyTorch needs more than one.
/// </param>
public sealed record BatchNormInfo(int Layer, int Channels, int RunningMeanOffset, int RunningVarOffset, int Pixels)
{
    /// <summary>"layers.{Layer}.running_mean".</summary>
    public string RunningMeanName => $"layers.{Layer}.running_mean";

    /// <summary>"layers.{Layer}.running_var".</summary>
    public string RunningVarName => $"layers.{Layer}.running_var";

    /// <summary>"layers.{Layer}.num_batches_tracked".</summary>
    public string BatchesTrackedName => $"layers.{Layer}.num_batches_tracked";

    /// <summary>The fewest rows a training batch may have: 2 when <see cref="Pixels"/> is 1, else 1.</summary>
    public int MinTrainingRows => Pixels >= 2 ? 1 : 2;
}

/// <summary>Which of a batch norm's buffers a <see cref="BufferInfo"/> is.</summary>
public enum BufferKind
{
    /// <summary>running_mean, F32 [Channels], initially 0.</summary>
    RunningMean,
    /// <summary>running_var, F32 [Channels], initially 1; updated with the unbiased variance, as PyTorch does.</summary>
    RunningVar,
    /// <summary>num_batches_tracked, an int64 scalar (shape []), initially 0; one more at every training step.</summary>
    NumBatchesTracked,
}

/// <summary>One of a model's buffers: state_dict entries that are not trained by the optimizer (PyTorch's register_buffer).</summary>
/// <param name="Name">PyTorch state_dict name, e.g. "layers.1.running_var".</param>
/// <param name="Kind">Which buffer of the batch norm it is.</param>
/// <param name="BatchNorm">The batch norm it belongs to.</param>
/// <param name="Index">The batch norm's index in <see cref="ModelInfo.BatchNorms"/>.</param>
public sealed record BufferInfo(string Name, BufferKind Kind, BatchNormInfo BatchNorm, int Index)
{
    /// <summary>True for num_batches_tracked (int64); false for the float vectors.</summary>
    public bool IsInt64 => Kind == BufferKind.NumBatchesTracked;

    /// <summary>PyTorch shape: [Channels], or [] for num_batches_tracked.</summary>
    public int[] Shape => IsInt64 ? Array.Empty<int>() : new[] { BatchNorm.Channels };

    /// <summary>Number of elements: Channels, or 1 for num_batches_tracked.</summary>
    public int Length => IsInt64 ? 1 : BatchNorm.Channels;

    /// <summary>The safetensors dtype: "F32" or "I64".</summary>
    public string DType => IsInt64 ? "I64" : "F32";

    /// <summary>A float vector's place in the state storage, as a one-dimensional parameter; null for num_batches_tracked.</summary>
    internal ParameterInfo? StateLayout => Kind switch
    {
        BufferKind.RunningMean => Vector(BatchNorm.RunningMeanOffset, ParameterInit.Zeros),
        BufferKind.RunningVar => Vector(BatchNorm.RunningVarOffset, ParameterInit.Ones),
        _ => null,
    };

    private ParameterInfo Vector(int offset, ParameterInit init) =>
        new(Name, BatchNorm.Channels, 1, offset, 1, init, 0f) { OneDimensional = true };
}
