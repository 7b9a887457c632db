namespace SoftGen.Persistence;

/// <summary>The __metadata__ keys and tensor-name prefixes that SoftGen writes into its weights and checkpoint files.</summary>
public static class FileKeys
{
    /// <summary>"pt": the value the safetensors convention gives files of PyTorch tensors.</summary>
    public const string Format = "format";

    /// <summary>"weights" or "checkpoint".</summary>
    public const string Kind = "softgen.kind";

    /// <summary>The model class's full name.</summary>
    public const string Model = "softgen.model";

    /// <summary>The hash of the model's declaration (its layers and loss), <see cref="Training.ModelInfo.DeclarationHash"/>.</summary>
    public const string DeclarationHash = "softgen.declaration_hash";

    /// <summary>Checkpoints: optimizer steps taken (decimal).</summary>
    public const string Step = "softgen.step";

    /// <summary>Checkpoints: the optimizer kind, "Sgd", "Adam" or "AdamW".</summary>
    public const string Optimizer = "softgen.optimizer";

    /// <summary>Checkpoints: the optimizer's hyper-parameters, for people (not read back).</summary>
    public const string OptimizerSettings = "softgen.optimizer_settings";

    /// <summary>Checkpoints: Fit's shuffle generator, four 64-bit words in hexadecimal separated by commas.</summary>
    public const string ShuffleState = "softgen.shuffle_state";

    /// <summary>Checkpoints: the learning-rate schedule (<see cref="LearningRateSchedule.ToString"/>), or "none" for a constant rate.</summary>
    public const string Schedule = "softgen.schedule";

    /// <summary>Checkpoints: <see cref="TrainerOptions.Seed"/>, from which dropout masks and the mixup stream derive (decimal).</summary>
    public const string Seed = "softgen.seed";

    /// <summary>Checkpoints: Fit's mixup generator, as <see cref="ShuffleState"/>, or "none" before the first mixed batch.</summary>
    public const string MixupState = "softgen.mixup_state";

    /// <summary>The prediction temperature (<see cref="Training.TrainerBase.PredictionTemperature"/>), round-trip decimal.</summary>
    public const string PredictionTemperature = "softgen.prediction_temperature";

    public const string WeightsKind = "weights";

    public const string CheckpointKind = "checkpoint";

    /// <summary>
    /// Checkpoints name optimizer state "optimizer.{state}.{parameter}", with PyTorch's state names: e.g.
    /// "optimizer.exp_avg.layers.0.weight", "optimizer.exp_avg_sq.layers.0.weight", "optimizer.momentum_buffer.layers.0.bias".
    /// </summary>
    public const string OptimizerPrefix = "optimizer.";
}
