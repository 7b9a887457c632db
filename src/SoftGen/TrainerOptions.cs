using System;

namespace SoftGen;

/// <summary>How a generated trainer is set up. Every buffer is sized from these when the trainer is created.</summary>
public sealed record TrainerOptions
{
    public Backend Backend { get; init; } = Backend.Cpu;

    public Optimizer Optimizer { get; init; } = Optimizer.Adam(1e-3f);

    /// <summary>
    /// How the optimizer's learning rate changes from update to update (PyTorch's schedulers, stepped after every
    /// update); null keeps it constant. The trainer's <c>LearningRate</c> is the rate of its next update.
    /// </summary>
    public LearningRateSchedule? Schedule { get; init; }

    /// <summary>
    /// Clips the gradients by their global 2-norm before each update, as PyTorch's
    /// <c>clip_grad_norm_(parameters, max_norm)</c>: with the norm n over every gradient element, each gradient is
    /// multiplied by max_norm / (n + 1e-6) when that is below 1. A non-finite norm refuses the step (the weights stay
    /// unchanged). Null (the default) does not clip; otherwise it must be positive and finite.
    /// </summary>
    public float? ClipGradientNorm { get; init; }

    /// <summary>
    /// Clamps each gradient element to [-value, value] before each update, as PyTorch's <c>clip_grad_value_</c>; with
    /// <see cref="ClipGradientNorm"/> too, the clamp comes first and the norm is taken of the clamped gradients. Null
    /// (the default) does not clamp; otherwise it must be positive and finite.
    /// </summary>
    public float? ClipGradientValue { get; init; }

    /// <summary>The largest batch TrainStep accepts, and the batch size Fit uses.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Seeds the initial weights and Fit's shuffling: the same seed gives the same weights on the CPU backend.</summary>
    public int Seed { get; init; }

    /// <summary>CPU threads used by the kernels (the caller's thread included). Results do not depend on it.</summary>
    public int ThreadCount { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// The world of processes this trainer trains in, data-parallel (SoftGen.Distributed's <c>MpiWorld</c>), or null
    /// (the default) to train alone. Each rank's TrainStep takes its own rows; the step equals one process's step on
    /// every rank's rows together, and every rank ends with the same weights. See the README's "Training on several
    /// processes".
    /// </summary>
    public DistributedWorld? Distributed { get; init; }
}
