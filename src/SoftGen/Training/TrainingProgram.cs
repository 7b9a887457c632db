using System;
using System.ComponentModel;
using SoftGen.Cpu;

namespace SoftGen.Training;

/// <summary>
/// A model's training program on one backend: the buffers, the forward, loss and backward passes and the optimizer
/// update. <see cref="TrainerBase"/> is the facade over one program; <see cref="CpuProgram"/> and SoftGen.Gpu's
/// GpuProgram implement it, and the generator derives {Model}.CpuTrainingProgram and {Model}.GpuTrainingProgram.
/// </summary>
/// <remarks>
/// Every program holds the parameters, gradients and optimizer moments in <see cref="ModelInfo"/>'s flat layout;
/// <see cref="AccessHost"/> hands them to the host, so the facade reads and writes them the same way on every backend.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class TrainingProgram : IDisposable
{
    /// <summary>The backend this program runs (never <see cref="SoftGen.Backend.Auto"/>).</summary>
    public abstract Backend Backend { get; }

    /// <summary>The device, in words (name and kind), or null on the CPU.</summary>
    public abstract string? DeviceName { get; }

    /// <summary>Kernel launches per training step; 0 on the CPU.</summary>
    public abstract int LaunchesPerStep { get; }

    /// <summary>
    /// Forward (with dropout), loss and backward for rows 0..rows-1 of the validated batch: fills the gradients and
    /// returns the mean loss. <paramref name="step"/> is the trainer's step count before the update: with the seed and
    /// the layer index it picks the dropout masks, the same on every backend.
    /// </summary>
    /// <remarks>
    /// <paramref name="inputs"/> is dense [rows, Inputs] and <paramref name="targets"/> dense [rows, OutputsPerRow];
    /// they may point into the caller's memory, so neither is necessarily 64-byte aligned. <paramref name="weights"/> is
    /// <see cref="FloatBuffer.Null"/> (unweighted: exactly the unweighted loss) or the rows' sample weights normalised
    /// to a mean of 1, s_r = w_r rows / sum w ([rows] floats, host memory, not necessarily aligned): the loss is then
    /// mean_r(s_r l_r) and row r's gradient is scaled by s_r (see <see cref="HeadKernels"/>). Batch norm statistics
    /// stay unweighted.
    /// </remarks>
    public abstract float ComputeLossAndGradients(FloatBuffer inputs, FloatBuffer targets, FloatBuffer weights, int rows, long step);

    /// <summary>Optimizer update number <paramref name="step"/> (1-based) over the flat parameter storage.</summary>
    /// <remarks>
    /// Multiplies each gradient by the scale a <see cref="ClipGradients"/> call arranged since the last update (PyTorch's
    /// g.mul_(coef) before the step, fused into the update's read of g), then forgets it.
    /// </remarks>
    public abstract void ApplyOptimizer(long step);

    /// <summary>
    /// Gradient clipping on the gradients of the last <see cref="ComputeLossAndGradients"/>, on this backend (the
    /// gradients stay where they are): clamps each to [-<paramref name="clipValue"/>, <paramref name="clipValue"/>] in
    /// place when that is set (PyTorch's clip_grad_value_), then returns the 2-norm over every gradient element,
    /// accumulated in double so that gradients near float's limit still give a finite norm. The sum's order is fixed,
    /// so the norm does not depend on the thread count. When <paramref name="maxNorm"/> is set and the norm finite,
    /// the next <see cref="ApplyOptimizer"/> multiplies each gradient by min(1, maxNorm / (norm + 1e-6)), computed in
    /// double and applied as a float (PyTorch's clip_grad_norm_); a call with <paramref name="maxNorm"/> set and a
    /// non-finite norm arranges no scale. Both null: it only measures the norm.
    /// </summary>
    public abstract double ClipGradients(float? clipValue, float? maxNorm);

    /// <summary>Forward for rows 0..rows-1 (at most the batch size): probabilities [rows, OutputsPerRow] to the host.</summary>
    public abstract void ComputeProbabilities(FloatBuffer inputs, FloatBuffer probabilities, int rows);

    /// <summary>Forward for rows 0..rows-1 (at most the batch size): logits [rows, OutputsPerRow], dense, to the host.</summary>
    public abstract void ComputeLogits(FloatBuffer inputs, FloatBuffer logits, int rows);

    /// <summary>
    /// The parameters, gradients and moments as host memory, up to date. <paramref name="willWrite"/>: the caller will
    /// change the parameters or moments, and the program must use the host's values from its next pass on.
    /// </summary>
    public abstract HostStorage AccessHost(bool willWrite);

    /// <summary>
    /// A number that changes whenever the parameters or the running statistics may have changed: after each
    /// optimizer update, each <see cref="AccessHost"/> with willWrite, and each <see cref="MarkParametersChanged"/>.
    /// A program that derives tensors from them (batch norm folded into a convolution's weights for prediction)
    /// rebuilds those only when it differs from the version they were built at. Starts at 1.
    /// </summary>
    protected long ParametersVersion { get; private set; } = 1;

    /// <summary>
    /// Moves <see cref="ParametersVersion"/> on. The base programs call it for the optimizer and for host writes; a
    /// generated training pass that updates running statistics and is not followed by an update (a non-finite loss
    /// skips it) must call it too, or rely on the trainer's next update.
    /// </summary>
    protected void MarkParametersChanged() => ParametersVersion++;

    public abstract void Dispose();

    /// <summary>
    /// Opens the program for <see cref="TrainerOptions.Backend"/>: <paramref name="openCpu"/> for Cpu;
    /// <paramref name="openGpu"/> for Gpu (its argument, required, is true: no device is an error) and for Auto (false:
    /// no device gives null, and the CPU runs). A null <paramref name="openGpu"/> means the project that declares the
    /// model does not reference SoftGen.Gpu.
    /// </summary>
    public static TrainingProgram Open(ModelInfo model, TrainerOptions options,
        Func<ModelInfo, TrainerOptions, TrainingProgram> openCpu,
        Func<ModelInfo, TrainerOptions, bool, TrainingProgram?>? openGpu)
    {
        ArgumentNullException.ThrowIfNull(openCpu);
        switch (options.Backend)
        {
            case Backend.Cpu:
                return openCpu(model, options);
            case Backend.Gpu or Backend.Auto:
                bool required = options.Backend == Backend.Gpu;
                if (openGpu is null && required)
                    throw new NotSupportedException(
                        $"Backend.Gpu needs the GPU runtime: add a reference to SoftGen.Gpu to the project that declares {model.Name}, so that the generator emits its GPU kernels; or use Backend.Cpu or Backend.Auto.");
                return openGpu?.Invoke(model, options, required) ?? openCpu(model, options);
            default:
                throw new ArgumentException($"TrainerOptions.Backend has the unknown value {(int)options.Backend}.", nameof(options));
        }
    }
}
