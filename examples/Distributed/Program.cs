using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using Distributed;
using SoftGen;
using SoftGen.Data;
using SoftGen.Distributed;

// Fashion-MNIST's MLP trained data-parallel on every process mpirun starts:
//   mpirun -np 2 dotnet examples/Distributed/bin/Release/net10.0/Distributed.dll [options]
// Options: --data DIR (default /usr/share/datasets/fashion-mnist), --epochs N (3), --batch ROWS (the global batch,
// 256: each rank takes ROWS / ranks of it), --threads T (1 per rank), --save FILE (rank 0 writes the weights).
using var mpi = MpiWorld.Initialize();
var world = new TimedWorld(mpi);
string data = "/usr/share/datasets/fashion-mnist", save = "";
int epochs = 3, batch = 256, threads = 1;
for (int i = 0; i + 1 < args.Length; i += 2)
    switch (args[i])
    {
        case "--data": data = args[i + 1]; break;
        case "--epochs": epochs = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--batch": batch = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--threads": threads = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--save": save = args[i + 1]; break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
if (batch % world.Size != 0)
{
    Console.Error.WriteLine($"--batch {batch} is not a multiple of the {world.Size} ranks.");
    return 2;
}

// Every rank reads the whole data set; Fit trains each on its share of every global batch.
var (trainX, trainY, trainCount) = Load(data, "train");
var (testX, testY, testCount) = Load(data, "t10k");
bool lead = world.Rank == 0;
if (lead)
    Console.WriteLine($"{world.Size} rank(s) x {threads} thread(s), global batch {batch} ({batch / world.Size} a rank); " +
        $"{trainCount} training rows, {testCount} test rows; rank 0 on {world.HostName}");

using var trainer = FashionMlp.CreateTrainer(new TrainerOptions
{
    Optimizer = Optimizer.Adam(1e-3f),
    BatchSize = batch / world.Size,
    Seed = 1,
    ThreadCount = threads,
    Distributed = world,
});
long started = Stopwatch.GetTimestamp();
var result = trainer.Fit(trainX, trainY, new FitOptions
{
    Epochs = epochs,
    Progress = new Callback(report =>
    {
        if (lead)
            Console.WriteLine($"epoch {report.Epoch}/{report.Epochs}: global loss {report.MeanLoss:F4} over {report.Samples} rows, " +
                $"{report.SamplesPerSecond:F0} samples/s");
    }),
});
var elapsed = Stopwatch.GetElapsedTime(started);

// Each rank scores its share of the test set; Evaluate sums over the ranks.
int each = testCount / world.Size, extra = testCount % world.Size;
int offset = world.Rank * each + Math.Min(world.Rank, extra), rows = each + (world.Rank < extra ? 1 : 0);
var test = trainer.Evaluate(testX.AsSpan(offset * 784, rows * 784), testY.AsSpan(offset * 10, rows * 10));
if (lead)
{
    double samples = (double)trainCount * result.EpochsRun;
    Console.WriteLine($"test accuracy {test.Accuracy:P2}, NLL {test.Nll:F4} over {test.Count} rows");
    Console.WriteLine($"{samples / elapsed.TotalSeconds:F0} samples/s; gradient all-reduce {world.AllReduceTime.TotalSeconds:F2} s of {elapsed.TotalSeconds:F2} s " +
        $"({world.AllReduceTime / elapsed:P1}), {trainer.Model.StorageLength * 4 / 1024.0:F0} KiB a step");
}
if (save.Length > 0) trainer.SaveWeights(save); // only rank 0 writes
return 0;

static (float[] X, float[] Y, int Count) Load(string directory, string prefix)
{
    var images = IdxFile.Read(Find(directory, prefix + "-images-idx3-ubyte"));
    var labels = IdxFile.Read(Find(directory, prefix + "-labels-idx1-ubyte"));
    var x = new float[images.Data.Length];
    for (int i = 0; i < x.Length; i++) x[i] = images.Data[i] / 255f;
    var y = new float[labels.Count * 10];
    for (int i = 0; i < labels.Count; i++) y[i * 10 + labels.Data[i]] = 1f;
    return (x, y, labels.Count);
}

static string Find(string directory, string name)
{
    foreach (var candidate in new[] { name + ".gz", name })
        if (File.Exists(Path.Combine(directory, candidate))) return Path.Combine(directory, candidate);
    throw new FileNotFoundException($"{name}(.gz) is not in {directory}: apt-get install dataset-fashion-mnist, or pass --data DIR.");
}

/// <summary>Calls back on the training thread, at once (System.Progress would post to the thread pool).</summary>
internal sealed class Callback(Action<EpochReport> action) : IProgress<EpochReport>
{
    public void Report(EpochReport value) => action(value);
}

/// <summary>Fashion-MNIST: 28x28 images in 10 classes (the Classify example's MLP).</summary>
[SoftModel(Inputs = 784, Classes = 10)]
[Dense(512, Activation.Relu)]
[Dense(256, Activation.Relu)]
[Dense(10)]
[SoftmaxCrossEntropy(LabelSmoothing = 0.1f)]
public partial class FashionMlp;
