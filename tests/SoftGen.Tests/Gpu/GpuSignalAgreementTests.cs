using System;
using GpuSignalModels;
using SignalModels;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Gpu;

/// <summary>
/// The generated GPU programs of models with signals (Conv1D with stride, padding and dilation, 1-D pools, a
/// per-position head) and general convolution windows (rectangular kernels, strides and paddings, dilation, groups, a
/// projection shortcut with stride 1x2) against the CPU backend (itself checked against float64 references in
/// tests/SoftGen.Tests/Signals and Conv), see <see cref="SignalAgreement"/>.
/// </summary>
public sealed class GpuSignalAgreementTests
{
    public static TheoryData<string> Models() => new() { nameof(GpuSignalConvNet), nameof(GpuRectConvNet), nameof(PositionNet) };

    private static TrainerBase Create(string model, TrainerOptions options) => model switch
    {
        nameof(GpuSignalConvNet) => GpuSignalConvNet.CreateTrainer(options),
        nameof(GpuRectConvNet) => GpuRectConvNet.CreateTrainer(options),
        nameof(PositionNet) => PositionNet.CreateTrainer(options),
        _ => throw new ArgumentException(model),
    };

    /// <summary>
    /// Launches per training step, counted from the declarations: forward (Conv, pool, Dense: 1; BatchNorm 3; a
    /// projection 4), the head (2 per position), backward (Conv 2, pool and Dense 1, BatchNorm 3, a projection 5, a
    /// Join), the optimizer.
    /// </summary>
    private static int LaunchesPerStep(string model) => model switch
    {
        // conv pool conv conv dense | dense conv conv pool conv (the first: dW only)
        nameof(GpuSignalConvNet) => 5 + 1 + (1 + 2 + 2 + 1 + 2) + 1,
        // conv conv [proj 4] conv bn(+add) gap dense | dense gap end (shares, proj 5, join) bn conv conv conv
        nameof(GpuRectConvNet) => (1 + 1 + 4 + 1 + 3 + 1 + 1) + 1 + (1 + 1 + 5 + 1 + 3 + 2 + 2 + 2) + 1,
        // conv pool conv | per-position head (2) | conv pool conv
        nameof(PositionNet) => 3 + 2 + (2 + 1 + 2) + 1,
        _ => throw new ArgumentException(model),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void The_GPU_program_agrees_with_the_CPU_backend(string model) =>
        SignalAgreement.Run(o => Create(model, o), LaunchesPerStep(model));
}
