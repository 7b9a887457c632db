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

    /// <summary>The largest batch TrainStep accepts, and the batch size Fit uses.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Seeds the initial weights and Fit's shuffling: the same seed gives the same weights on the CPU backend.</summary>
    public int Seed { get; init; }

    /// <summary>CPU threads used by the kernels (the caller's thread included). Results do not depend on it.</summary>
    public int ThreadCount { get; init; } = Environment.ProcessorCount;
}
