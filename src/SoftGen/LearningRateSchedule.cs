using System;

namespace SoftGen;

/// <summary>
/// How the learning rate changes from one optimizer update to the next, as PyTorch's schedulers change it when
/// <c>scheduler.step()</c> follows each <c>optimizer.step()</c>: update number k (1-based) uses the rate after k - 1
/// scheduler steps. Set one on <see cref="TrainerOptions.Schedule"/>. The rate is a function of the update count alone,
/// so a checkpoint (which keeps the count) resumes a schedule exactly.
/// </summary>
public abstract class LearningRateSchedule
{
    private protected LearningRateSchedule()
    {
    }

    /// <summary>The rate of the update that follows <paramref name="updates"/> earlier ones, from the optimizer's rate.</summary>
    public abstract double RateAt(double baseRate, long updates);

    /// <summary>Adam's beta1 for that update: the optimizer's, except where the schedule cycles momentum (one-cycle).</summary>
    public virtual double Beta1At(double beta1, long updates) => beta1;

    /// <summary>The updates the schedule is defined for (one-cycle's total steps); null for no limit.</summary>
    public virtual long? TotalSteps => null;

    /// <summary>
    /// The schedule in PyTorch's terms with every setting, e.g. "StepLR(step_size=30, gamma=0.1)": checkpoints record it,
    /// and resuming under a different one is refused, since it would not continue the run.
    /// </summary>
    public abstract override string ToString();

    /// <summary>torch.optim.lr_scheduler.StepLR: the rate times <paramref name="gamma"/> every <paramref name="stepSize"/> updates.</summary>
    public static LearningRateSchedule Step(int stepSize, double gamma = 0.1)
    {
        if (stepSize < 1) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "The step size must be at least 1 update.");
        if (!(gamma > 0) || double.IsInfinity(gamma)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be a positive, finite number.");
        return new StepSchedule(stepSize, gamma);
    }

    /// <summary>
    /// torch.optim.lr_scheduler.CosineAnnealingLR: min + (base - min) (1 + cos(pi t / <paramref name="steps"/>)) / 2
    /// after t updates (the cosine goes on past <paramref name="steps"/>, as PyTorch's does).
    /// </summary>
    public static LearningRateSchedule Cosine(int steps, double minRate = 0)
    {
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "The cosine needs at least 1 update (T_max).");
        if (!(minRate >= 0) || double.IsInfinity(minRate)) throw new ArgumentOutOfRangeException(nameof(minRate), minRate, "The minimum rate must be a non-negative, finite number.");
        return new CosineSchedule(steps, minRate);
    }

    /// <summary>
    /// Linear warm-up then cosine decay: PyTorch's SequentialLR of LinearLR(start_factor = <paramref name="startFactor"/>,
    /// total_iters = <paramref name="warmupSteps"/>) and CosineAnnealingLR(T_max = <paramref name="totalSteps"/> -
    /// <paramref name="warmupSteps"/>, eta_min = <paramref name="minRate"/>) with the milestone at the warm-up's end.
    /// </summary>
    public static LearningRateSchedule WarmupCosine(int warmupSteps, int totalSteps, double startFactor = 1.0 / 3, double minRate = 0)
    {
        if (warmupSteps < 1) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "The warm-up needs at least 1 update.");
        if (totalSteps <= warmupSteps) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"The total must be more than the {warmupSteps} warm-up updates.");
        if (!(startFactor > 0 && startFactor <= 1)) throw new ArgumentOutOfRangeException(nameof(startFactor), startFactor, "The start factor must be in (0, 1].");
        if (!(minRate >= 0) || double.IsInfinity(minRate)) throw new ArgumentOutOfRangeException(nameof(minRate), minRate, "The minimum rate must be a non-negative, finite number.");
        return new WarmupCosineSchedule(warmupSteps, new CosineSchedule(totalSteps - warmupSteps, minRate), startFactor);
    }

    /// <summary>
    /// torch.optim.lr_scheduler.OneCycleLR with cosine annealing: from max / <paramref name="divFactor"/> up to
    /// <paramref name="maxRate"/> over the first <paramref name="pctStart"/> of <paramref name="totalSteps"/>, then down
    /// to that start / <paramref name="finalDivFactor"/>; Adam's beta1 cycles the other way between
    /// <paramref name="maxMomentum"/> and <paramref name="baseMomentum"/> when <paramref name="cycleMomentum"/>. The
    /// optimizer's own rate is not used. Training past <paramref name="totalSteps"/> is refused, as PyTorch refuses it.
    /// </summary>
    public static LearningRateSchedule OneCycle(double maxRate, int totalSteps, double pctStart = 0.3, double divFactor = 25, double finalDivFactor = 1e4,
        bool cycleMomentum = true, double baseMomentum = 0.85, double maxMomentum = 0.95)
    {
        if (!(maxRate > 0) || double.IsInfinity(maxRate)) throw new ArgumentOutOfRangeException(nameof(maxRate), maxRate, "The maximum rate must be a positive, finite number.");
        if (totalSteps < 2) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "One cycle needs at least 2 updates.");
        if (!(pctStart > 0 && pctStart < 1)) throw new ArgumentOutOfRangeException(nameof(pctStart), pctStart, "pctStart must be in (0, 1).");
        if (!(divFactor > 0) || !(finalDivFactor > 0)) throw new ArgumentOutOfRangeException(nameof(divFactor), "The division factors must be positive.");
        if (!(baseMomentum >= 0 && baseMomentum < 1 && maxMomentum >= 0 && maxMomentum < 1))
            throw new ArgumentOutOfRangeException(nameof(baseMomentum), "The momenta must be in [0, 1).");
        return new OneCycleSchedule(maxRate, totalSteps, pctStart, divFactor, finalDivFactor, cycleMomentum, baseMomentum, maxMomentum);
    }

    private sealed class StepSchedule(int stepSize, double gamma) : LearningRateSchedule
    {
        // PyTorch's chainable form multiplies the current rate by gamma at each boundary.
        public override double RateAt(double baseRate, long updates)
        {
            double rate = baseRate;
            for (long k = updates / stepSize; k > 0; k--) rate *= gamma;
            return rate;
        }

        public override string ToString() => FormattableString.Invariant($"StepLR(step_size={stepSize}, gamma={gamma:R})");
    }

    private sealed class CosineSchedule(int steps, double minRate) : LearningRateSchedule
    {
        public override double RateAt(double baseRate, long updates) =>
            updates == 0 ? baseRate : minRate + (baseRate - minRate) * (1 + Math.Cos(Math.PI * updates / steps)) / 2;

        public override string ToString() => FormattableString.Invariant($"CosineAnnealingLR(T_max={steps}, eta_min={minRate:R})");
    }

    private sealed class WarmupCosineSchedule(int warmupSteps, CosineSchedule cosine, double startFactor) : LearningRateSchedule
    {
        public override double RateAt(double baseRate, long updates) => updates < warmupSteps
            ? baseRate * (startFactor + (1 - startFactor) * updates / warmupSteps)
            : cosine.RateAt(baseRate, updates - warmupSteps);

        public override string ToString() =>
            FormattableString.Invariant($"SequentialLR(LinearLR(start_factor={startFactor:R}, total_iters={warmupSteps}), {cosine}, milestones=[{warmupSteps}])");
    }

    private sealed class OneCycleSchedule(double maxRate, int totalSteps, double pctStart, double divFactor, double finalDivFactor,
        bool cycleMomentum, double baseMomentum, double maxMomentum) : LearningRateSchedule
    {
        private double Initial => maxRate / divFactor;

        // PyTorch's phases: up to step pct_start * total - 1, then down to total - 1 (the ends kept as doubles).
        private double WarmupEnd => pctStart * totalSteps - 1;

        public override long? TotalSteps => totalSteps;

        public override double RateAt(double baseRate, long updates) =>
            updates <= WarmupEnd
                ? Anneal(Initial, maxRate, updates / WarmupEnd)
                : Anneal(maxRate, Initial / finalDivFactor, (updates - WarmupEnd) / (totalSteps - 1 - WarmupEnd));

        public override double Beta1At(double beta1, long updates) => !cycleMomentum ? beta1
            : updates <= WarmupEnd
                ? Anneal(maxMomentum, baseMomentum, updates / WarmupEnd)
                : Anneal(baseMomentum, maxMomentum, (updates - WarmupEnd) / (totalSteps - 1 - WarmupEnd));

        private static double Anneal(double start, double end, double fraction) => end + (start - end) / 2 * (Math.Cos(Math.PI * fraction) + 1);

        public override string ToString() => FormattableString.Invariant(
            $"OneCycleLR(max_lr={maxRate:R}, total_steps={totalSteps}, pct_start={pctStart:R}, div_factor={divFactor:R}, final_div_factor={finalDivFactor:R}, cycle_momentum={(cycleMomentum ? "True" : "False")}, base_momentum={baseMomentum:R}, max_momentum={maxMomentum:R})");
    }
}
