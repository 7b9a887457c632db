using System;
using System.IO;
using SoftGen.Gpu;
using SoftGen.Tests.Training;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Gpu;

/// <summary>
/// GpuProgram's state buffer and its host mirror, over a hand-written GPU program of <see cref="NormLinearTrainer"/> on
/// ILGPU's CPU accelerator: a training pass on the device moves the running statistics and the host sees them; the
/// host's writes reach the device before its next pass; checkpoints move between the backends exactly.
/// </summary>
public sealed class NormStateGpuTests
{
    private const string Mean = "layers.0.running_mean", Var = "layers.0.running_var", Count = "layers.0.num_batches_tracked";

    private static TrainerOptions Options(Backend backend) =>
        new() { Backend = backend, BatchSize = 4, ThreadCount = 1, Seed = 5, Optimizer = Optimizer.Adam(0.05f) };

    private static NormLinearTrainer Gpu()
    {
        using (GpuTesting.UseCpuAccelerator())
            return new NormLinearTrainer(Options(Backend.Gpu), NormLinearGpuProgram.Open);
    }

    private static float[] Buffer(TrainerBase t, string name)
    {
        var v = new float[3];
        t.GetBuffer(name, v);
        return v;
    }

    [Fact]
    public void The_host_sees_the_running_statistics_a_device_pass_moved()
    {
        var random = new Random(11);
        using var gpu = Gpu();
        Assert.Equal(Backend.Gpu, gpu.Backend);
        Assert.Equal([1f, 1f, 1f], Buffer(gpu, Var)); // initialised on the host, uploaded before the first pass
        double[] mean = [0, 0, 0], variance = [1, 1, 1];
        foreach (int n in new[] { 4, 2, 3 })
        {
            var (x, y) = NormStateTests.Batch(random, n);
            gpu.TrainStep(x, y, n);
            for (int c = 0; c < 3; c++)
            {
                double m = 0, s = 0;
                for (int r = 0; r < n; r++) m += x[r * 3 + c];
                m /= n;
                for (int r = 0; r < n; r++) s += (x[r * 3 + c] - m) * (x[r * 3 + c] - m);
                mean[c] = 0.9 * mean[c] + 0.1 * m;
                variance[c] = 0.9 * variance[c] + 0.1 * s / (n - 1);
            }
            var gotMean = Buffer(gpu, Mean);
            var gotVar = Buffer(gpu, Var);
            for (int c = 0; c < 3; c++)
            {
                Assert.Equal(mean[c], gotMean[c], 4);
                Assert.Equal(variance[c], gotVar[c], 4);
            }
        }
        Assert.Equal(3, gpu.GetBatchesTracked(Count));
    }

    [Fact]
    public void The_device_predicts_with_the_running_statistics_the_host_wrote()
    {
        using var gpu = Gpu();
        var random = new Random(2);
        var (x, y) = NormStateTests.Batch(random, 4);
        gpu.TrainStep(x, y, 4); // the device's state is now newer than the host's initial values
        float[] mean = [0.5f, -1f, 2f], variance = [4f, 0.25f, 1f];
        gpu.SetBuffer(Mean, mean);
        gpu.SetBuffer(Var, variance);
        float[] gamma = new float[3], beta = new float[3], w = new float[6], b = new float[2];
        gpu.GetParameter("layers.0.weight", gamma);
        gpu.GetParameter("layers.0.bias", beta);
        gpu.GetParameter("layers.1.weight", w);
        gpu.GetParameter("layers.1.bias", b);

        var logits = new float[8];
        gpu.PredictLogits(x, logits, 4);
        for (int r = 0; r < 4; r++)
            for (int o = 0; o < 2; o++)
            {
                double z = b[o];
                for (int c = 0; c < 3; c++)
                    z += w[o * 3 + c] * (gamma[c] * (x[r * 3 + c] - mean[c]) / Math.Sqrt(variance[c] + 1e-5) + beta[c]);
                Assert.Equal(z, logits[r * 2 + o], 4);
            }
        Assert.Equal(mean, Buffer(gpu, Mean)); // prediction does not move them
    }

    [Fact]
    public void Checkpoints_move_between_the_backends_exactly_and_training_goes_on_alike()
    {
        var random = new Random(8);
        var batches = new (float[] X, float[] Y)[4];
        for (int k = 0; k < batches.Length; k++) batches[k] = NormStateTests.Batch(random, 4);
        using var cpu = new NormLinearTrainer(Options(Backend.Cpu));
        for (int k = 0; k < 2; k++) cpu.TrainStep(batches[k].X, batches[k].Y, 4);

        var fromCpu = new MemoryStream();
        cpu.SaveCheckpoint(fromCpu);
        using var gpu = Gpu();
        gpu.TrainStep(batches[3].X, batches[3].Y, 4); // its own state first: the load must replace it on the device
        fromCpu.Position = 0;
        gpu.LoadCheckpoint(fromCpu);
        Assert.Equal(NormStateTests.Snapshot(cpu), NormStateTests.Snapshot(gpu));

        var fromGpu = new MemoryStream();
        gpu.SaveCheckpoint(fromGpu);
        using var back = new NormLinearTrainer(Options(Backend.Cpu));
        fromGpu.Position = 0;
        back.LoadCheckpoint(fromGpu);
        Assert.Equal(NormStateTests.Snapshot(cpu), NormStateTests.Snapshot(back));

        for (int k = 2; k < 4; k++)
        {
            float expected = cpu.TrainStep(batches[k].X, batches[k].Y, 4);
            Assert.Equal(expected, gpu.TrainStep(batches[k].X, batches[k].Y, 4), 4);
        }
        Assert.Equal(4, gpu.GetBatchesTracked(Count));
        foreach (var name in new[] { Mean, Var })
        {
            var expected = Buffer(cpu, name);
            var actual = Buffer(gpu, name);
            for (int c = 0; c < 3; c++) Assert.Equal(expected[c], actual[c], 4);
        }
    }
}
