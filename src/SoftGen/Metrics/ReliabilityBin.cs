namespace SoftGen.Metrics;

/// <summary>
/// One bar of a reliability diagram: the rows whose confidence (largest probability) lies in (Lower, Upper], their
/// mean confidence and the fraction of them whose predicted class is the target's. Empty bins have Count 0 and
/// NaN for both means.
/// </summary>
public readonly record struct ReliabilityBin(double Lower, double Upper, long Count, double Confidence, double Accuracy)
{
    /// <summary>Accuracy minus confidence: negative where the model is overconfident.</summary>
    public double Gap => Accuracy - Confidence;
}
