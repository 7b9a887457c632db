using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using SoftGen.Cpu;
using SoftGen.Training;

namespace SoftGen.Benchmarks;

/// <summary>One timed part of a training step: what it is, its time per step, and for a GEMM its size and speed.</summary>
internal sealed record Phase(string Name, string Kind, double MicrosecondsPerStep, long M, long N, long K, double Gflops, double PercentOfPeak);

/// <summary>
/// A training step of a 784-H-H/2-10 ReLU MLP taken apart: the same kernel calls, in the same order and with the same
/// layer shapes, as the generated CpuTrainingProgram's ComputeLossAndGradients (see the snapshot
/// tests/SoftGen.Tests/Generator/Snapshots/Classify.FashionMlp.g.cs), preceded by the minibatch gather (rows copied in
/// shuffled order, as Fit does) and the validation TrainStep does, and followed by the optimizer update CpuProgram applies. Each call is timed
/// on its own; the best of several passes over the whole step is kept per phase.
/// </summary>
internal sealed unsafe class StepProfile<L0, L1, L2> : IDisposable
    where L0 : struct, IDenseShape where L1 : struct, IDenseShape where L2 : struct, IDenseShape
{
    private readonly int _batch;
    private readonly WorkerPool _pool;
    private readonly NativeBuffers _buffers = new();
    private readonly OptimizerState _optimizer;
    private readonly ModelInfo _model;
    private readonly FashionMnist _data;
    private readonly int[] _order;
    private readonly float[] _batchX, _batchY;
    private readonly float* _x, _y, _a0, _a1, _logits, _dz0, _dz1, _dLogits, _w1, _w2;
    private readonly float* _parameters, _gradients;
    private readonly int _length, _w0, _b0, _w1Offset, _b1, _w2Offset, _b2;

    public StepProfile(int batch, int threads, ModelInfo model, FashionMnist data)
    {
        _batch = batch;
        _model = model;
        _data = data;
        _pool = new WorkerPool(threads);
        _w0 = 0; _b0 = L0.In * L0.OutStride;
        _w1Offset = _b0 + L0.OutStride; _b1 = _w1Offset + L1.In * L1.OutStride;
        _w2Offset = _b1 + L1.OutStride; _b2 = _w2Offset + L2.In * L2.OutStride;
        _length = _b2 + L2.OutStride;
        if (_length != model.StorageLength)
            throw new InvalidOperationException($"The profile's layout ({_length} floats) differs from the generated model's ({model.StorageLength}).");

        _parameters = _buffers.Allocate(_length);
        _gradients = _buffers.Allocate(_length);
        _optimizer = new OptimizerState(Optimizer.Adam(1e-3f), _length, _buffers);
        var init = new DeterministicRandom(1, DeterministicRandom.InitStream);
        Initializer.Initialize(_parameters, model.Parameters, ref init);

        // The minibatch lives in managed arrays, as when a caller passes spans to TrainStep (which pins them).
        _batchX = GC.AllocateArray<float>(batch * FashionMnist.Inputs, pinned: true);
        _batchY = GC.AllocateArray<float>(batch * FashionMnist.Classes, pinned: true);
        _x = (float*)Unsafe.AsPointer(ref _batchX[0]);
        _y = (float*)Unsafe.AsPointer(ref _batchY[0]);
        _a0 = _buffers.Allocate(batch * L0.OutStride);
        _dz0 = _buffers.Allocate(batch * L0.OutStride);
        _a1 = _buffers.Allocate(batch * L1.OutStride);
        _dz1 = _buffers.Allocate(batch * L1.OutStride);
        _logits = _buffers.Allocate(batch * L2.OutStride);
        _dLogits = _buffers.Allocate(batch * L2.OutStride);
        _w1 = _buffers.Allocate(L1.Out * L1.InStride);
        _w2 = _buffers.Allocate(L2.Out * L2.InStride);
        _order = new int[data.Count];
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        new Random(1).Shuffle(_order);
    }

    /// <summary>Runs <paramref name="steps"/> steps <paramref name="passes"/> times; per phase, the best pass's mean.</summary>
    public List<Phase> Measure(int steps, int passes, double peakGflops)
    {
        var names = new[]
        {
            "gather", "validate", "forward 0", "forward 1", "forward 2", "head",
            "weights 2", "inputs 2", "weights 1", "inputs 1", "weights 0", "optimizer",
        };
        var best = new double[names.Length];
        Array.Fill(best, double.MaxValue);
        var ticks = new long[names.Length];
        long step = 0;
        for (int pass = 0; pass < passes + 1; pass++) // pass 0 warms up
        {
            Array.Clear(ticks);
            for (int s = 0; s < steps; s++)
                Step(ticks, (int)(step++ % (_data.Count / _batch)), step);
            if (pass == 0) continue;
            for (int i = 0; i < names.Length; i++)
                best[i] = Math.Min(best[i], ticks[i] * 1e6 / Stopwatch.Frequency / steps);
        }

        var phases = new List<Phase>();
        for (int i = 0; i < names.Length; i++)
        {
            var (kind, m, n, k) = Size(names[i]);
            double gflops = m > 0 ? 2.0 * m * n * k / (best[i] * 1e-6) / 1e9 : 0;
            phases.Add(new Phase(names[i], kind, best[i], m, n, k, gflops, m > 0 ? 100 * gflops / peakGflops : 0));
        }
        return phases;
    }

    /// <summary>The GEMM each phase computes, with the real (unpadded) widths: C [M, N] = A [M, K] B [K, N].</summary>
    private (string Kind, long M, long N, long K) Size(string name) => name switch
    {
        "forward 0" => ("gemm", _batch, L0.Out, L0.In),
        "forward 1" => ("gemm", _batch, L1.Out, L1.In),
        "forward 2" => ("gemm", _batch, L2.Out, L2.In),
        "weights 0" => ("gemm", L0.In, L0.Out, _batch),
        "weights 1" => ("gemm", L1.In, L1.Out, _batch),
        "weights 2" => ("gemm", L2.In, L2.Out, _batch),
        "inputs 1" => ("gemm", _batch, L1.In, L1.Out),
        "inputs 2" => ("gemm", _batch, L2.In, L2.Out),
        "head" => ("loss", 0, 0, 0),
        "optimizer" => ("update", 0, 0, 0),
        _ => ("copy", 0, 0, 0),
    };

    private void Step(long[] t, int batchIndex, long step)
    {
        int rows = _batch;
        long t0 = Stopwatch.GetTimestamp();
        for (int r = 0; r < rows; r++)
        {
            int row = _order[batchIndex * rows + r];
            _data.Features.AsSpan(row * FashionMnist.Inputs, FashionMnist.Inputs).CopyTo(_batchX.AsSpan(r * FashionMnist.Inputs));
            _data.Targets.AsSpan(row * FashionMnist.Classes, FashionMnist.Classes).CopyTo(_batchY.AsSpan(r * FashionMnist.Classes));
        }
        long t1 = Stopwatch.GetTimestamp();
        InputValidator.CheckFeatures(_batchX, FashionMnist.Inputs, 0, "inputs");
        InputValidator.CheckTargets(_batchY, _model, 0, "targets");
        long t2 = Stopwatch.GetTimestamp();
        DenseKernels.Forward<L0, Relu>(_pool, _x, _parameters + _w0, _parameters + _b0, null, _a0, rows);
        long t3 = Stopwatch.GetTimestamp();
        DenseKernels.Forward<L1, Relu>(_pool, _a0, _parameters + _w1Offset, _parameters + _b1, null, _a1, rows);
        long t4 = Stopwatch.GetTimestamp();
        DenseKernels.Forward<L2, Identity>(_pool, _a1, _parameters + _w2Offset, _parameters + _b2, null, _logits, rows);
        long t5 = Stopwatch.GetTimestamp();
        float loss = HeadKernels.SoftmaxCrossEntropy<L2>(_logits, _y, null, _dLogits, rows, 0.1f, 1f);
        long t6 = Stopwatch.GetTimestamp();
        DenseKernels.BackwardWeights<L2>(_pool, _a1, _dLogits, _gradients + _w2Offset, _gradients + _b2, rows);
        long t7 = Stopwatch.GetTimestamp();
        DenseKernels.BackwardInputs<L2, Relu>(_pool, _dLogits, _parameters + _w2Offset, _w2, null, _a1, _dz1, rows);
        long t8 = Stopwatch.GetTimestamp();
        DenseKernels.BackwardWeights<L1>(_pool, _a0, _dz1, _gradients + _w1Offset, _gradients + _b1, rows);
        long t9 = Stopwatch.GetTimestamp();
        DenseKernels.BackwardInputs<L1, Relu>(_pool, _dz1, _parameters + _w1Offset, _w1, null, _a0, _dz0, rows);
        long t10 = Stopwatch.GetTimestamp();
        DenseKernels.BackwardWeights<L0>(_pool, _x, _dz0, _gradients + _w0, _gradients + _b0, rows);
        long t11 = Stopwatch.GetTimestamp();
        if (!float.IsFinite(loss)) throw new InvalidOperationException($"The profiled loss became {loss}.");
        _optimizer.Apply(_pool, _parameters, _gradients, _length, step);
        long t12 = Stopwatch.GetTimestamp();
        t[0] += t1 - t0; t[1] += t2 - t1; t[2] += t3 - t2; t[3] += t4 - t3; t[4] += t5 - t4; t[5] += t6 - t5;
        t[6] += t7 - t6; t[7] += t8 - t7; t[8] += t9 - t8; t[9] += t10 - t9; t[10] += t11 - t10; t[11] += t12 - t11;
    }

    public void Dispose()
    {
        _pool.Dispose();
        _buffers.Dispose();
    }
}
