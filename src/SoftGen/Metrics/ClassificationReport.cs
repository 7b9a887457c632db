namespace SoftGen.Metrics;

/// <summary>
/// Every metric of <see cref="ClassificationMetrics"/> over one data set; see there for the definitions.
/// </summary>
public sealed record ClassificationReport(
    long Count,
    double Accuracy,
    int TopK,
    double TopKAccuracy,
    double NegativeLogLikelihood,
    double KLDivergence,
    double BrierScore,
    double ExpectedCalibrationError,
    ReliabilityBin[] ReliabilityBins,
    ConfusionMatrix Confusion);
