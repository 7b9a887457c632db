using System;

namespace SoftGen;

/// <summary>Reported by Fit after each epoch.</summary>
public readonly record struct EpochReport(int Epoch, int Epochs, double MeanLoss, int Samples, TimeSpan Elapsed)
{
    public double SamplesPerSecond => Samples / Math.Max(Elapsed.TotalSeconds, 1e-9);
}

/// <summary>
/// Metrics of predictions against probability targets, averaged over the rows.
/// Softmax models: Accuracy = argmax(p) == argmax(y); Nll = -sum y log p; Kl = sum y log(y / p);
/// Brier = sum (p - y)^2. Sigmoid models: the same per element (Bernoulli), averaged over rows and classes.
/// </summary>
public readonly record struct Evaluation(int Count, double Accuracy, double Nll, double Kl, double Brier);
