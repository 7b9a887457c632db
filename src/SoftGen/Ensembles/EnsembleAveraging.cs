namespace SoftGen.Ensembles;

/// <summary>How an <see cref="Ensemble{TTrainer}"/> combines its members' probabilities.</summary>
public enum EnsembleAveraging
{
    /// <summary>The mean of the members' probabilities (each at its own prediction temperature).</summary>
    Arithmetic,

    /// <summary>
    /// The normalised geometric mean, exp(mean_k log p_k) / sum over classes. For softmax outputs this is exactly
    /// softmax(mean_k z_k / T_k), and for sigmoid outputs (normalised per class against 1 - p) sigmoid(mean_k z_k / T_k),
    /// which is how it is computed: from the logits, so no probability has to be logged.
    /// </summary>
    Geometric,
}
