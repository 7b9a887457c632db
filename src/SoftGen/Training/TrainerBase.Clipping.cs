using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace SoftGen.Training;

// Gradient clipping (TrainerOptions.ClipGradientValue and ClipGradientNorm) and the gradient norm a step reports.
public abstract partial class TrainerBase
{
    private double _gradientNorm = double.NaN;
    private bool _gradientNormKnown = true; // false once a pass wrote gradients whose norm has not been measured yet

    /// <summary>
    /// The 2-norm over every gradient element of the last training step, before norm clipping (after the clamp of
    /// <see cref="TrainerOptions.ClipGradientValue"/>, as PyTorch's clip_grad_norm_ returns it); NaN before the first
    /// step. A step refused for a non-finite loss or norm counts: its norm is the one that was refused.
    /// </summary>
    /// <remarks>
    /// With clipping on, every step measures it; without, the first read after a step measures it on the backend
    /// that trains (one pass over the gradients) and later reads return it until the next step.
    /// </remarks>
    public double GradientNorm
    {
        get
        {
            if (!_gradientNormKnown)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _gradientNorm = _program.ClipGradients(null, null);
                _gradientNormKnown = true;
            }
            return _gradientNorm;
        }
    }

    private bool ClipsGradients => _options.ClipGradientNorm is not null || _options.ClipGradientValue is not null;

    private static void ValidateClipping(TrainerOptions options)
    {
        if (options.ClipGradientNorm is { } norm && !(norm > 0f && float.IsFinite(norm)))
            throw new ArgumentException(
                $"TrainerOptions.ClipGradientNorm is {norm}; it must be positive and finite (null turns norm clipping off).", nameof(options));
        if (options.ClipGradientValue is { } value && !(value > 0f && float.IsFinite(value)))
            throw new ArgumentException(
                $"TrainerOptions.ClipGradientValue is {value}; it must be positive and finite (null turns value clipping off).", nameof(options));
    }

    /// <summary>The clamp, then the norm and its scale for update number <paramref name="step"/>; a non-finite norm refuses the step.</summary>
    private void ClipGradients(long step)
    {
        double norm = _program.ClipGradients(_options.ClipGradientValue, _options.ClipGradientNorm);
        _gradientNorm = norm;
        _gradientNormKnown = true;
        _telemetry.GradientNormMeasured(norm);
        if (!double.IsFinite(norm)) ThrowGradientNormNotFinite(norm, step);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowGradientNormNotFinite(double norm, long step) =>
        throw new InvalidOperationException(
            $"The gradient norm became {norm} at step {step}; the weights were left unchanged. Lower the learning rate or check the data.");
}
