using System;

namespace SoftGen;

/// <summary>
/// An optimizer and its hyper-parameters. The update rules and defaults are PyTorch's
/// (torch.optim.SGD, Adam, AdamW), so that runs can be compared step by step.
/// </summary>
public sealed record Optimizer
{
    private Optimizer(OptimizerKind kind, float learningRate)
    {
        if (!(learningRate > 0f) || float.IsInfinity(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be a positive finite number.");
        Kind = kind;
        LearningRate = learningRate;
    }

    public OptimizerKind Kind { get; }
    public float LearningRate { get; }
    /// <summary>SGD momentum (0 = plain SGD).</summary>
    public float Momentum { get; private init; }
    public float Beta1 { get; private init; } = 0.9f;
    public float Beta2 { get; private init; } = 0.999f;
    public float Epsilon { get; private init; } = 1e-8f;
    /// <summary>Decoupled weight decay (AdamW only).</summary>
    public float WeightDecay { get; private init; }

    /// <summary>The learning-rate schedule the trainer took from <see cref="TrainerOptions.Schedule"/>; null: a constant rate.</summary>
    public LearningRateSchedule? Schedule { get; internal init; }

    /// <summary>The rate of the update that follows <paramref name="updates"/> earlier ones.</summary>
    public double RateAt(long updates) => Schedule?.RateAt(LearningRate, updates) ?? LearningRate;

    /// <summary>Adam's beta1 for the update that follows <paramref name="updates"/> earlier ones.</summary>
    public double Beta1At(long updates) => Schedule?.Beta1At(Beta1, updates) ?? Beta1;

    /// <summary>SGD with momentum: v = momentum v + g; p -= lr v.</summary>
    public static Optimizer Sgd(float learningRate, float momentum = 0f)
    {
        if (!(momentum >= 0f && momentum < 1f))
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "Momentum must be in [0, 1).");
        return new Optimizer(OptimizerKind.Sgd, learningRate) { Momentum = momentum };
    }

    /// <summary>Adam with bias correction (Kingma and Ba), PyTorch's defaults: betas (0.9, 0.999), eps 1e-8.</summary>
    public static Optimizer Adam(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
    {
        CheckBetas(beta1, beta2, epsilon);
        return new Optimizer(OptimizerKind.Adam, learningRate) { Beta1 = beta1, Beta2 = beta2, Epsilon = epsilon };
    }

    /// <summary>AdamW (Loshchilov and Hutter): p *= 1 - lr wd before the Adam step; PyTorch's default wd is 0.01.</summary>
    public static Optimizer AdamW(float learningRate = 1e-3f, float weightDecay = 0.01f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
    {
        CheckBetas(beta1, beta2, epsilon);
        if (!(weightDecay >= 0f) || float.IsInfinity(weightDecay))
            throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "Weight decay must be a non-negative finite number.");
        return new Optimizer(OptimizerKind.AdamW, learningRate) { WeightDecay = weightDecay, Beta1 = beta1, Beta2 = beta2, Epsilon = epsilon };
    }

    private static void CheckBetas(float beta1, float beta2, float epsilon)
    {
        if (!(beta1 >= 0f && beta1 < 1f)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "beta1 must be in [0, 1).");
        if (!(beta2 >= 0f && beta2 < 1f)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "beta2 must be in [0, 1).");
        if (!(epsilon > 0f)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be positive.");
    }
}

public enum OptimizerKind
{
    Sgd,
    Adam,
    AdamW,
}
