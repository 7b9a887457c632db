using System;

namespace Signals;

/// <summary>sin(2 pi f t + phase) at the simulator's sample rate, by rotating a unit phasor (no sine per sample).</summary>
internal struct Oscillator
{
    private double _cos, _sin;
    private readonly double _stepCos, _stepSin;

    public Oscillator(double frequency, double phase)
    {
        (_sin, _cos) = Math.SinCos(phase);
        (_stepSin, _stepCos) = Math.SinCos(2 * Math.PI * frequency / EegSimulator.Rate);
    }

    /// <summary>The current value, then one sample forward.</summary>
    public double Next()
    {
        double value = _sin;
        (_cos, _sin) = (_cos * _stepCos - _sin * _stepSin, _sin * _stepCos + _cos * _stepSin);
        return value;
    }
}
