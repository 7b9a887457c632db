using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using SoftGen.Cpu;

namespace SoftGen.Training;

// Data-parallel training over TrainerOptions.Distributed: the checks and the broadcast at creation, the step whose
// gradients are averaged across the ranks, Fit's shares of each global batch and Evaluate's reduced sums.
public abstract unsafe partial class TrainerBase
{
    // [failed ranks, rows (or weight sum), loss times rows]: summed across the ranks once a step, before anything changes.
    private readonly double[] _stepSums = new double[3];
    private readonly double[] _evaluationSums = new double[6];

    /// <summary>The world this trainer trains in, or null when it trains alone.</summary>
    public DistributedWorld? World => _options.Distributed;

    private int WorldSize => _options.Distributed?.Size ?? 1;

    private int WorldRank => _options.Distributed?.Rank ?? 0;

    /// <summary>
    /// At creation, on every rank: refuses what distributed training does not support yet, checks that every rank
    /// declared the same model and options (naming both values when not), then copies rank 0's initial weights to all.
    /// </summary>
    private void JoinWorld(DistributedWorld world)
    {
        if (world.Size < 1 || world.Rank < 0 || world.Rank >= world.Size)
            throw new ArgumentException($"TrainerOptions.Distributed has rank {world.Rank} of {world.Size}; the rank must be from 0 to the size - 1.", "options");
        if (_model.BatchNorms.Count > 0)
            throw new NotSupportedException(
                $"{_model.Name} has a batch norm (layers.{_model.BatchNorms[0].Layer}), whose batch statistics would have to be reduced across the ranks " +
                "(PyTorch's SyncBatchNorm); distributed training does not do that yet. Train it in one process, or use LayerNorm.");
        if (_program.Backend != Backend.Cpu)
            throw new NotSupportedException(
                $"Distributed training runs on the CPU backend only for now; TrainerOptions.Backend chose {_program.Backend}. Set Backend = Backend.Cpu.");

        CheckSameOnEveryRank(world);
        var parameters = _program.AccessHost(willWrite: true).Parameters;
        world.Broadcast(new Span<float>(parameters.Pointer, _model.StorageLength), root: 0);
    }

    /// <summary>One all-gather of what every rank must agree on; every rank throws the same message on a difference.</summary>
    private void CheckSameOnEveryRank(DistributedWorld world)
    {
        string[] names = ["model", "declaration hash", "TrainerOptions.BatchSize", "TrainerOptions.Optimizer", "TrainerOptions.Seed", "TrainerOptions.ClipGradientNorm", "TrainerOptions.ClipGradientValue"];
        string[] mine =
        [
            _model.Name, _model.DeclarationHash, _options.BatchSize.ToString(CultureInfo.InvariantCulture), _options.Optimizer.ToString(),
            _options.Seed.ToString(CultureInfo.InvariantCulture), _options.ClipGradientNorm?.ToString(CultureInfo.InvariantCulture) ?? "none",
            _options.ClipGradientValue?.ToString(CultureInfo.InvariantCulture) ?? "none",
        ];
        var all = world.AllGather(string.Join('\n', mine));
        var first = all[0].Split('\n');
        for (int rank = 1; rank < all.Length; rank++)
        {
            var other = all[rank].Split('\n');
            for (int i = 0; i < names.Length; i++)
            {
                string theirs = i < other.Length ? other[i] : "(missing)", ours = i < first.Length ? first[i] : "(missing)";
                if (!string.Equals(theirs, ours, StringComparison.Ordinal))
                    throw new InvalidOperationException(
                        $"The ranks of the distributed world disagree on the {names[i]}: rank 0 has {ours}, rank {rank} has {theirs}. " +
                        "Every rank must create the same model with the same options.");
            }
        }
    }

    /// <summary>
    /// A distributed step's inputs (or Fit's data set) failed this rank's checks: tells the other ranks, in the
    /// reduction their step makes before it changes anything, so that they throw in the same step. The caller then
    /// rethrows its exception.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void TellEveryRankOfFailure()
    {
        _stepSums[0] = 1;
        _stepSums[1] = 0;
        _stepSums[2] = 0;
        _options.Distributed!.AllReduceSum(_stepSums);
    }

    /// <summary>
    /// The distributed step: this rank's loss and gradients, one small reduction of the failure flag, the rows and the
    /// loss, then the gradients scaled by this rank's share of the rows and summed across the ranks (one MPI_Allreduce
    /// over the flat storage): the mean gradient over every rank's rows. The clipping and the update then run on the
    /// same gradients on every rank. Returns the loss over every rank's rows, or NaN when no rank had a row of positive
    /// weight (Fit skips such a batch; nothing changes). <paramref name="rows"/> may be 0 here (Fit's last batch).
    /// </summary>
    private float DistributedStepCore(float* inputs, float* targets, float* weights, int rows)
    {
        var world = _options.Distributed!;
        double mass = weights == null ? rows : SampleWeights.Sum(weights, rows);
        var gradients = new Span<float>(_program.AccessHost(willWrite: false).Gradients.Pointer, _model.StorageLength);
        float loss = 0;
        if (mass > 0)
        {
            float* scaled = weights == null ? null : SampleWeights.Normalize(weights, rows, _stepWeights);
            loss = _program.ComputeLossAndGradients(new FloatBuffer(inputs), new FloatBuffer(targets), new FloatBuffer(scaled), rows, _step);
        }
        else
            gradients.Clear();

        _stepSums[0] = 0;
        _stepSums[1] = mass;
        _stepSums[2] = mass > 0 ? (double)loss * mass : 0;
        world.AllReduceSum(_stepSums);
        if (_stepSums[0] > 0) ThrowFailedElsewhere((int)_stepSums[0], _step + 1);
        double total = _stepSums[1];
        if (!(total > 0)) return float.NaN;
        float globalLoss = (float)(_stepSums[2] / total);
        _gradientNormKnown = false;
        if (!float.IsFinite(globalLoss)) ThrowLossNotFinite(globalLoss, _step + 1);

        float share = (float)(mass / total);
        if (share != 1f)
            for (int i = 0; i < gradients.Length; i++) gradients[i] *= share;
        world.AllReduceSum(gradients);

        if (ClipsGradients) ClipGradients(_step + 1);
        _program.ApplyOptimizer(_step + 1);
        _step++;
        _telemetry.StepEnded(rows, globalLoss, LearningRate);
        return globalLoss;
    }

    /// <summary>Rank <paramref name="rank"/>'s rows of a global batch of <paramref name="rows"/>: contiguous, sizes differing by at most 1.</summary>
    private static (int Offset, int Rows) Share(int rows, int rank, int size)
    {
        int each = rows / size, extra = rows % size;
        return (rank * each + Math.Min(rank, extra), each + (rank < extra ? 1 : 0));
    }

    /// <summary>Sums Evaluate's metrics and row counts over the ranks, in place; throws on every rank when one refused its data.</summary>
    private void ReduceEvaluation(ref Metrics metrics, ref int count)
    {
        if (_options.Distributed is not { } world) return;
        metrics.CopySums(_evaluationSums); // [4] = 0: this rank's data passed its checks
        _evaluationSums[5] = count;
        world.AllReduceSum(_evaluationSums);
        if (_evaluationSums[4] > 0) ThrowEvaluationFailedElsewhere((int)_evaluationSums[4]);
        metrics.SetSums(_evaluationSums);
        count = checked((int)_evaluationSums[5]);
    }

    /// <summary>This rank's Evaluate data failed its checks: tells the others, in the reduction they wait in. The caller rethrows.</summary>
    private void TellEveryRankEvaluationFailed()
    {
        Array.Clear(_evaluationSums);
        _evaluationSums[4] = 1;
        _options.Distributed!.AllReduceSum(_evaluationSums);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowEvaluationFailedElsewhere(int ranks) =>
        throw new InvalidOperationException(
            $"{ranks} rank{(ranks == 1 ? "" : "s")} of the distributed world refused {(ranks == 1 ? "its" : "their")} Evaluate data (see {(ranks == 1 ? "its" : "their")} exception); " +
            $"this rank (rank {WorldRank}) stopped too.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowFailedElsewhere(int ranks, long step) =>
        throw new InvalidOperationException(
            $"{ranks} rank{(ranks == 1 ? "" : "s")} of the distributed world refused the inputs of step {step} (see {(ranks == 1 ? "its" : "their")} exception); " +
            $"this rank (rank {WorldRank}) stopped in the same step, and no weight changed on any rank.");
}
