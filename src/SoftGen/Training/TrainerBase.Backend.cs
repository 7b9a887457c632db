using System;
using System.ComponentModel;
using SoftGen.Cpu;

namespace SoftGen.Training;

/// <summary>
/// A model's training program on a device (the GPU): what <see cref="TrainerBase"/> calls instead of the generated CPU
/// passes when <see cref="TrainerOptions.Backend"/> resolves to <see cref="Backend.Gpu"/>. SoftGen.Gpu implements it
/// (ILGPU), and the generator derives one per model, so this assembly never loads ILGPU.
/// </summary>
/// <remarks>
/// The device holds the parameters, gradients and optimizer moments, in the same flat layout as the host storage
/// (<see cref="ParameterInfo"/>). The trainer keeps its host buffers as a mirror, copied only when a host member needs
/// them (<see cref="Download"/>) and sent back before the next device pass (<see cref="Upload"/>).
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class DeviceProgram : IDisposable
{
    /// <summary>The device, in words (name and kind).</summary>
    public abstract string DeviceName { get; }

    /// <summary>Kernel launches per training step.</summary>
    public abstract int LaunchesPerStep { get; }

    /// <summary>Copies parameters and moments from the host (moment buffers are Null where the optimizer keeps none).</summary>
    public abstract void Upload(FloatBuffer parameters, FloatBuffer moment1, FloatBuffer moment2);

    /// <summary>Copies parameters, gradients and moments to the host; waits for the device.</summary>
    public abstract void Download(FloatBuffer parameters, FloatBuffer gradients, FloatBuffer moment1, FloatBuffer moment2);

    /// <summary>
    /// Copies the batch in, runs forward (with dropout), loss and backward, and returns the mean loss (the only copy
    /// out). <paramref name="step"/> is <see cref="TrainerBase.Step"/> before the update: with the seed and the layer
    /// index it picks the dropout masks, the same as the CPU backend's.
    /// </summary>
    public abstract float ComputeLossAndGradients(FloatBuffer inputs, FloatBuffer targets, int rows, long step);

    /// <summary>Queues optimizer update number <paramref name="step"/> (1-based) over the flat parameter buffer.</summary>
    public abstract void ApplyOptimizer(long step);

    /// <summary>Forward for rows 0..rows-1: probabilities [rows, Classes] to the host.</summary>
    public abstract void ComputeProbabilities(FloatBuffer inputs, FloatBuffer probabilities, int rows);

    /// <summary>Forward for rows 0..rows-1: logits [rows, Classes] to the host.</summary>
    public abstract void ComputeLogits(FloatBuffer inputs, FloatBuffer logits, int rows);

    /// <summary>Waits until the device has finished every queued launch.</summary>
    public abstract void Synchronize();

    public abstract void Dispose();
}

/// <summary>
/// Makes a trainer's <see cref="DeviceProgram"/>. <paramref name="required"/> is true for <see cref="Backend.Gpu"/>
/// (no device is an error) and false for <see cref="Backend.Auto"/> (no device: return null and the CPU is used).
/// The generated trainer passes its GPU program's factory to <see cref="TrainerBase"/>'s constructor when the project
/// references SoftGen.Gpu (the generator then emits the program beside the trainer), and null otherwise.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public delegate DeviceProgram? DeviceProgramFactory(ModelInfo model, TrainerOptions options, bool required);

public abstract unsafe partial class TrainerBase
{
    private DeviceProgram? _device;
    private bool _hostStale;   // the device has newer parameters, gradients or moments than the host mirror
    private bool _deviceStale; // the host mirror has newer parameters or moments than the device

    /// <summary>Where the GPU backend runs (device name and kind), or null on the CPU backend.</summary>
    public string? DeviceName => _device?.DeviceName;

    /// <summary>Kernel launches per training step on the GPU backend; 0 on the CPU backend.</summary>
    public int LaunchesPerStep => _device?.LaunchesPerStep ?? 0;

    /// <summary>Resolves <see cref="TrainerOptions.Backend"/>: the device program for Gpu, and for Auto when a GPU is present.</summary>
    private Backend CreateDevice(ModelInfo model, TrainerOptions options, DeviceProgramFactory? factory)
    {
        if (options.Backend == Backend.Cpu) return Backend.Cpu;
        if (options.Backend is not (Backend.Gpu or Backend.Auto))
            throw new ArgumentException($"TrainerOptions.Backend has the unknown value {(int)options.Backend}.", nameof(options));
        bool required = options.Backend == Backend.Gpu;
        if (factory is null)
        {
            if (!required) return Backend.Cpu;
            throw new NotSupportedException(
                $"Backend.Gpu needs the GPU runtime: add a reference to SoftGen.Gpu to the project that declares {model.Name}, so that the generator emits its GPU kernels; or use Backend.Cpu or Backend.Auto.");
        }
        _device = factory(model, options, required);
        if (_device is null) return Backend.Cpu;
        _deviceStale = true;
        return Backend.Gpu;
    }

    /// <summary>GPU: forward, loss and backward on the device (the batch in, the loss out).</summary>
    private float DeviceLossAndGradients(float* inputs, float* targets, int rows)
    {
        PushToDevice();
        float loss = _device!.ComputeLossAndGradients(new FloatBuffer(inputs), new FloatBuffer(targets), rows, _step);
        _hostStale = true; // the gradients changed
        return loss;
    }

    /// <summary>GPU: the optimizer update, queued on the device.</summary>
    private void DeviceOptimizerStep(long step) => _device!.ApplyOptimizer(step);

    /// <summary>Probabilities on whichever backend is in use.</summary>
    private void RunProbabilities(FloatBuffer inputs, FloatBuffer probabilities, int rows)
    {
        if (_device is null) { ComputeProbabilities(inputs, probabilities, rows); return; }
        PushToDevice();
        _device.ComputeProbabilities(inputs, probabilities, rows);
    }

    /// <summary>Logits on whichever backend is in use.</summary>
    private void RunLogits(FloatBuffer inputs, FloatBuffer logits, int rows)
    {
        if (_device is null) { ComputeLogits(inputs, logits, rows); return; }
        PushToDevice();
        _device.ComputeLogits(inputs, logits, rows);
    }

    /// <summary>Brings the host mirror up to date before a host member reads it; <paramref name="willWrite"/>: it will also change it.</summary>
    private void PullFromDevice(bool willWrite)
    {
        if (_device is null) return;
        if (_hostStale)
        {
            _device.Download(new FloatBuffer(_parameters), new FloatBuffer(_gradients), new FloatBuffer(_optimizer.Moment1), new FloatBuffer(_optimizer.Moment2));
            _hostStale = false;
        }
        if (willWrite) _deviceStale = true;
    }

    private void PushToDevice()
    {
        if (!_deviceStale) return;
        _device!.Upload(new FloatBuffer(_parameters), new FloatBuffer(_optimizer.Moment1), new FloatBuffer(_optimizer.Moment2));
        _deviceStale = false;
    }
}
