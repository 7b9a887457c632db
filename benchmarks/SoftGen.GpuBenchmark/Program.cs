using System;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using GpuBenchmark;
using SoftGen;

// FashionMlp (784-512-256-10 ReLU, soft-target cross-entropy, Adam, fp32) on the GPU backend; prints one JSON object.
//   --mode throughput (default): samples/s (Throughput.cs); --backend gpu|auto|cpu, --steps N (>= 200), --warmup N, --inference-reps N
//   --mode kernels: per-launch times and GEMM GFLOP/s of a training step and of prediction (KernelTimes.cs); --batches 256,4096, --reps N
//   --mode agreement: GPU against the CPU backend within 1e-4 relative (Agreement.cs); --agreement-batch N (256)
//   --cpu-accelerator: kernels and agreement on ILGPU's CPU accelerator (a smoke check without a GPU; ~0.5 GFLOP/s)
string mode = "throughput";
var backend = Backend.Gpu;
int steps = 200, warmup = 20, inferenceReps = 20, reps = 20, agreementBatch = 256;
int[] batches = { 256, 4096 };
bool cpuAccelerator = false;
for (int i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
    int Count() => int.Parse(Value(), CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--mode": mode = Value(); break;
        case "--backend": backend = Enum.Parse<Backend>(Value(), ignoreCase: true); break;
        case "--steps": steps = Count(); break;
        case "--warmup": warmup = Count(); break;
        case "--inference-reps": inferenceReps = Count(); break;
        case "--reps": reps = Count(); break;
        case "--batches": batches = Value().Split(',').Select(b => int.Parse(b, CultureInfo.InvariantCulture)).ToArray(); break;
        case "--agreement-batch": agreementBatch = Count(); break;
        case "--cpu-accelerator": cpuAccelerator = true; break;
        default:
            throw new ArgumentException($"Unknown argument '{args[i]}'. Use --mode throughput|kernels|agreement, --backend gpu|auto|cpu, --steps N, --warmup N, "
                + "--inference-reps N, --reps N, --batches B1,B2, --agreement-batch N, --cpu-accelerator.");
    }
}
if (reps < 1 || agreementBatch < 1 || batches.Any(b => b < 1)) throw new ArgumentException("--reps, --agreement-batch and every --batches value must be at least 1.");

var result = mode switch
{
    "throughput" when cpuAccelerator => throw new ArgumentException("--cpu-accelerator is for --mode kernels or agreement: throughput on the simulator means nothing."),
    "throughput" when steps < 200 => throw new ArgumentException("--steps must be at least 200."),
    "throughput" => Throughput.Run(backend, steps, warmup, inferenceReps),
    "kernels" => KernelTimes.Run(batches, reps, cpuAccelerator),
    "agreement" => Agreement.Run(agreementBatch, cpuAccelerator),
    _ => throw new ArgumentException($"Unknown --mode '{mode}'. Use throughput, kernels or agreement."),
};
Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
