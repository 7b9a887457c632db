using System;
using GpuChannelModels;
using SignalModels;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Gpu;

/// <summary>
/// The generated GPU programs of models with depthwise convolutions, squeeze-excitation and GeM pooling (learnable and
/// fixed p; a depthwise first layer on the user's NCHW rows; inside residual blocks; after activations whose
/// derivative needs Z)
/// against the CPU backend (itself checked against float64 references in tests/SoftGen.Tests/Signals), see
/// <see cref="SignalAgreement"/>.
/// </summary>
public sealed class GpuChannelAgreementTests
{
    public static TheoryData<string> Models() =>
        new() { nameof(GpuChannelEdgeNet), nameof(GpuDepthwiseFirstNet), nameof(TinyEegNet), nameof(RectNet) };

    private static TrainerBase Create(string model, TrainerOptions options) => model switch
    {
        nameof(GpuChannelEdgeNet) => GpuChannelEdgeNet.CreateTrainer(options),
        nameof(GpuDepthwiseFirstNet) => GpuDepthwiseFirstNet.CreateTrainer(options),
        nameof(TinyEegNet) => TinyEegNet.CreateTrainer(options),
        nameof(RectNet) => RectNet.CreateTrainer(options),
        _ => throw new ArgumentException(model),
    };

    /// <summary>
    /// Launches per training step, counted from the declarations: forward (Conv, depthwise Conv, pool, GeM, Dense: 1;
    /// squeeze-excitation 4; BatchNorm 3; a block end's add 1, none after a batch norm that adds; a projection 4), the
    /// head, backward (Conv 2; depthwise Conv 2, 3 with an input gradient; squeeze-excitation 3, 5 with an input
    /// gradient; GeM: 1 for the input gradient, 3 for a learned p; pool and Dense 1; BatchNorm 3, 2 at the first; a
    /// projection 5; a Join 1; a block's last layer without activation shares the block end's gradient: 0), the optimizer.
    /// </summary>
    private static int LaunchesPerStep(string model) => model switch
    {
        // conv dw se pool conv gem dense | dense gem(1 + 3) conv pool se(5) dw(3) conv (the first: 2)
        nameof(GpuChannelEdgeNet) => (1 + 1 + 4 + 1 + 1 + 1 + 1) + 1 + (1 + 4 + 2 + 1 + 5 + 3 + 2) + 1,
        // dw conv gem dense | dense gem conv dw (the first: 2)
        nameof(GpuDepthwiseFirstNet) => 4 + 1 + (1 + 1 + 2 + 2) + 1,
        // conv bn pool conv bn dw se add conv bn(+add) [proj 4] gem dense
        // | dense gem(4) end(shares, proj 5, join) bn conv end(shares, join) se dw bn conv pool bn conv
        nameof(TinyEegNet) => (1 + 3 + 1 + 1 + 3 + 1 + 4 + 1 + 1 + 3 + 4 + 1 + 1) + 1
            + (1 + 4 + 6 + 3 + 2 + 1 + 5 + 3 + 3 + 2 + 1 + 3 + 2) + 1,
        // conv dw bn se conv gem dense | dense gem conv se bn dw conv
        nameof(RectNet) => (1 + 1 + 3 + 4 + 1 + 1 + 1) + 1 + (1 + 1 + 2 + 5 + 3 + 3 + 2) + 1,
        _ => throw new ArgumentException(model),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void The_GPU_program_agrees_with_the_CPU_backend(string model) =>
        SignalAgreement.Run(o => Create(model, o), LaunchesPerStep(model));
}
