using Xunit;

namespace SoftGen.Tests.Distributed;

/// <summary>
/// Data-parallel training under mpirun: each check runs tests/SoftGen.DistributedTests.Program on 2 or 3 ranks, which
/// trains the same model alone as well, on every rank's rows together (one process at the global batch): the
/// distributed weights must equal it within 1e-5 relative, and be the same on every rank bit for bit.
/// </summary>
public sealed class DistributedTrainingTests
{
    [MpiTheory]
    [InlineData("steps", 2)]
    [InlineData("steps", 3)] // 22 rows a step: shares 8, 7, 7
    [InlineData("weighted", 2)]
    [InlineData("weighted", 3)]
    public void TwentySteps_EqualOneProcessOnTheGlobalBatch(string check, int ranks)
    {
        var r = MpiRun.Check(check, ranks);
        for (int rank = 0; rank < ranks; rank++)
        {
            Assert.InRange(r.Number(rank, "worst_weight_rel"), 0, 1e-5);
            Assert.InRange(r.Number(rank, "worst_loss_rel"), 0, 1e-6);
            Assert.Equal(r.Text(0, "hash"), r.Text(rank, "hash"));
        }
    }

    [MpiTheory]
    [InlineData(2)]
    [InlineData(3)] // 101 rows in global batches of 24: the last 5 split 2, 2, 1
    public void Fit_SharesCoverEachEpochOnce_AndEvaluateReducesOverTheRanks(int ranks)
    {
        var r = MpiRun.Check("fit", ranks);
        for (int rank = 0; rank < ranks; rank++)
        {
            // A row trained twice or not at all would change the weights beyond float rounding.
            Assert.InRange(r.Number(rank, "worst_weight_rel"), 0, 1e-5);
            Assert.InRange(r.Number(rank, "worst_loss_rel"), 0, 1e-6);
            Assert.Equal(r.Text(0, "hash"), r.Text(rank, "hash"));
            for (int epoch = 1; epoch <= 3; epoch++) Assert.Equal(101, r.Number(rank, $"samples_{epoch}"));
            Assert.Equal(37, r.Number(rank, "evaluate_rows"));
            Assert.InRange(r.Number(rank, "evaluate_nll_rel"), 0, 1e-6);
            Assert.Equal(0, r.Number(rank, "evaluate_accuracy_diff"));
        }
    }

    [MpiFact]
    public void BadInputOnOneRank_MakesEveryRankThrow_InTrainStepFitAndEvaluate_WithNoWeightChanged()
    {
        var r = MpiRun.Check("fault", 2);
        Assert.Equal("InvalidOperationException", r.Text(0, "thrown"));
        Assert.Contains("refused the inputs of step 2", r.Text(0, "message"));
        Assert.Equal("ArgumentException", r.Text(1, "thrown"));
        Assert.Contains("NaN", r.Text(1, "message"));
        for (int rank = 0; rank < 2; rank++)
        {
            Assert.Equal("yes", r.Text(rank, "unchanged"));
            Assert.Equal(2, r.Number(rank, "step_after")); // the world goes on, in step
            Assert.Equal(rank == 1 ? "ArgumentException" : "InvalidOperationException", r.Text(rank, "fit_thrown"));
            Assert.Equal(rank == 1 ? "ArgumentException" : "InvalidOperationException", r.Text(rank, "evaluate_thrown"));
            Assert.Equal(2, r.Number(rank, "step_end"));
        }
        Assert.Equal(r.Text(0, "hash"), r.Text(1, "hash"));
    }

    [MpiFact]
    public void DifferentBatchSizes_AreRefusedAtCreation_NamingBoth()
    {
        var r = MpiRun.Check("mismatch", 2);
        for (int rank = 0; rank < 2; rank++)
        {
            Assert.Equal("InvalidOperationException", r.Text(rank, "thrown"));
            Assert.Contains("TrainerOptions.BatchSize: rank 0 has 8, rank 1 has 16", r.Text(rank, "message"));
        }
    }
}
