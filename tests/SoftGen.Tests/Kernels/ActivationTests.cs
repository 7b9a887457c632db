using System;
using System.Collections.Generic;
using System.Runtime.Intrinsics;
using SoftGen.Cpu;
using Xunit;

namespace SoftGen.Tests.Kernels;

public class ActivationTests
{
    public static TheoryData<string> Activations => new()
    {
        nameof(Identity), nameof(Relu), nameof(LeakyRelu), nameof(Tanh), nameof(Sigmoid), nameof(Gelu),
        nameof(Silu), nameof(Elu), nameof(Mish),
    };

    [Theory]
    [MemberData(nameof(Activations))]
    public void ValuesAndDerivativesMatchFloat64(string activation) => Dispatch(activation, new MatchesFloat64());

    [Theory]
    [MemberData(nameof(Activations))]
    public void DerivativeMatchesFiniteDifferences(string activation) => Dispatch(activation, new MatchesFiniteDifferences());

    [Theory]
    [MemberData(nameof(Activations))]
    public void ExtremeInputsGiveNoNaN(string activation) => Dispatch(activation, new ExtremeInputs());

    [Theory]
    [MemberData(nameof(Activations))]
    public void NaNStaysNaN(string activation) => Dispatch(activation, new NaNPropagates());

    [Fact]
    public void SaturatingActivationsReachTheirLimits()
    {
        foreach (float z in new[] { 1e4f, float.PositiveInfinity })
        {
            Assert.Equal(1f, Eval<Tanh>(z).Value);
            Assert.Equal(-1f, Eval<Tanh>(-z).Value);
            Assert.Equal(1f, Eval<Sigmoid>(z).Value);
            Assert.Equal(0f, Eval<Sigmoid>(-z).Value);
            Assert.Equal(0f, Eval<Tanh>(z).Derivative);
            Assert.Equal(0f, Eval<Sigmoid>(-z).Derivative);
            Assert.Equal(1f, Eval<Gelu>(z).Derivative);
            Assert.Equal(0f, Eval<Gelu>(-z).Value);
            Assert.Equal(0f, Eval<Gelu>(-z).Derivative);
        }
        Assert.Equal(1e4f, Eval<Gelu>(1e4f).Value);
    }

    [Fact]
    public void OnlyGeluSiluAndMishNeedThePreActivation()
    {
        Assert.True(Silu.NeedsPreActivation);
        Assert.False(Elu.NeedsPreActivation);
        Assert.True(Mish.NeedsPreActivation);
        Assert.False(Identity.NeedsPreActivation);
        Assert.False(Relu.NeedsPreActivation);
        Assert.False(LeakyRelu.NeedsPreActivation);
        Assert.False(Tanh.NeedsPreActivation);
        Assert.False(Sigmoid.NeedsPreActivation);
        Assert.True(Gelu.NeedsPreActivation);
    }

    [Fact]
    public void SiluEluAndMishSaturate()
    {
        foreach (float z in new[] { 1e4f, 1e30f, float.MaxValue })
        {
            Assert.Equal(z, Eval<Silu>(z).Value512);
            Assert.Equal(z, Eval<Elu>(z).Value512);
            Assert.Equal(z, Eval<Mish>(z).Value512);
            Assert.Equal(0f, Eval<Silu>(-z).Value512);
            Assert.Equal(-1f, Eval<Elu>(-z).Value512);
            Assert.Equal(0f, Eval<Mish>(-z).Value512);
        }
        foreach (float z in new[] { 1e4f, 1e30f, float.MaxValue, float.PositiveInfinity })
            foreach (var e in new[] { Eval<Silu>(z), Eval<Elu>(z), Eval<Mish>(z) })
                Assert.Equal((1f, 1f, 1f), (e.Derivative, e.Derivative256, e.Derivative512));
        foreach (float z in new[] { -1e4f, -1e30f, float.MinValue, float.NegativeInfinity })
            foreach (var e in new[] { Eval<Silu>(z), Eval<Elu>(z), Eval<Mish>(z) })
                Assert.Equal((0f, 0f, 0f), (e.Derivative, e.Derivative256, e.Derivative512));
        Assert.Equal(float.PositiveInfinity, Eval<Silu>(float.PositiveInfinity).Value512);
        Assert.Equal(float.PositiveInfinity, Eval<Mish>(float.PositiveInfinity).Value512);
        Assert.Equal(-1f, Eval<Elu>(float.NegativeInfinity).Value);
    }

    /// <summary>Silu, Elu and Mish on a fine grid over [-20, 20]: every form within a few float ulps of float64.</summary>
    [Theory]
    [InlineData(nameof(Silu))]
    [InlineData(nameof(Elu))]
    [InlineData(nameof(Mish))]
    public void NewActivationsAreWithinAFewUlps(string activation) => Dispatch(activation, new WithinUlps());

    [Fact]
    public void Vector256AndVector512FormsAgreeExactly()
    {
        foreach (var activation in (IEnumerable<object[]>)Activations)
            Dispatch((string)activation[0], new WidthsAgree());
    }

    // ---- helpers ----

    private interface ICheck
    {
        void Run<TAct>(string name) where TAct : struct, IActivation;
    }

    private static void Dispatch(string activation, ICheck check)
    {
        switch (activation)
        {
            case nameof(Identity): check.Run<Identity>(activation); break;
            case nameof(Relu): check.Run<Relu>(activation); break;
            case nameof(LeakyRelu): check.Run<LeakyRelu>(activation); break;
            case nameof(Tanh): check.Run<Tanh>(activation); break;
            case nameof(Sigmoid): check.Run<Sigmoid>(activation); break;
            case nameof(Gelu): check.Run<Gelu>(activation); break;
            case nameof(Silu): check.Run<Silu>(activation); break;
            case nameof(Elu): check.Run<Elu>(activation); break;
            case nameof(Mish): check.Run<Mish>(activation); break;
            default: throw new ArgumentException(activation);
        }
    }

    /// <summary>Value and derivative (given z and a = act(z)) in the scalar, Vector256 and Vector512 forms.</summary>
    private readonly record struct Evaluation(float Value, float Derivative, float Value256, float Derivative256, float Value512, float Derivative512);

    private static Evaluation Eval<TAct>(float z) where TAct : struct, IActivation
    {
        float a = TAct.Apply(z);
        var z256 = Vector256.Create(z);
        var a256 = TAct.Apply(z256);
        var z512 = Vector512.Create(z);
        var a512 = TAct.Apply(z512);
        return new Evaluation(a, TAct.Derivative(z, a), a256[3], TAct.Derivative(z256, a256)[3], a512[11], TAct.Derivative(z512, a512)[11]);
    }

    /// <summary>z on a fine grid over [-12, 12], plus tiny values.</summary>
    private static IEnumerable<float> Inputs()
    {
        for (int i = -24000; i <= 24000; i += 7)
            yield return i * 5e-4f;
        foreach (float z in new[] { 0f, -0f, 1e-30f, -1e-30f, 1e-6f, -1e-6f, 0.5499f, 0.55f, 0.5501f, -0.55f })
            yield return z;
    }

    private sealed class MatchesFloat64 : ICheck
    {
        public void Run<TAct>(string name) where TAct : struct, IActivation
        {
            foreach (float z in Inputs())
            {
                var e = Eval<TAct>(z);
                double value = Reference.Apply(name, z);
                double derivative = Reference.Derivative(name, z);
                // Values: a few float ulps, or 2e-7 absolute near 0 and in the tails.
                double valueTolerance = 2e-7 + 1e-6 * Math.Abs(value);
                // Derivatives from a (tanh: 1 - a^2, sigmoid: a (1 - a)) carry a's rounding as an absolute error.
                double derivativeTolerance = 5e-7 + 1e-6 * Math.Abs(derivative);
                foreach (var (got, form) in new[] { (e.Value, "scalar"), (e.Value256, "Vector256"), (e.Value512, "Vector512") })
                    Assert.True(Math.Abs(got - value) <= valueTolerance, $"{name}({z:R}) {form} = {got:R}, float64 {value:R}");
                foreach (var (got, form) in new[] { (e.Derivative, "scalar"), (e.Derivative256, "Vector256"), (e.Derivative512, "Vector512") })
                    Assert.True(Math.Abs(got - derivative) <= derivativeTolerance, $"{name}'({z:R}) {form} = {got:R}, float64 {derivative:R}");
            }
        }
    }

    private sealed class MatchesFiniteDifferences : ICheck
    {
        public void Run<TAct>(string name) where TAct : struct, IActivation
        {
            const double h = 1e-4;
            for (double z = -8; z <= 8; z += 0.0173)
            {
                if (Math.Abs(z) < 2 * h)
                    continue; // the kink of ReLU and leaky ReLU
                double difference = (Reference.Apply(name, z + h) - Reference.Apply(name, z - h)) / (2 * h);
                var e = Eval<TAct>((float)z);
                Assert.True(Math.Abs(e.Derivative512 - difference) <= 1e-6 + 1e-6 * Math.Abs(difference),
                    $"{name}'({z:R}) = {e.Derivative512:R}, central difference {difference:R}");

                // The kernel's own float forms against each other, coarser step: Apply and Derivative are consistent.
                const float hf = 1e-2f;
                float zf = (float)z;
                if (MathF.Abs(zf) < 2 * hf)
                    continue;
                float up = TAct.Apply(Vector512.Create(zf + hf))[0], down = TAct.Apply(Vector512.Create(zf - hf))[0];
                double own = ((double)up - down) / (2 * hf);
                Assert.True(Math.Abs(e.Derivative512 - own) <= 2e-3 * Math.Max(1, Math.Abs(own)),
                    $"{name}'({zf:R}) = {e.Derivative512:R}, float central difference {own:R}");
            }
        }
    }

    private sealed class ExtremeInputs : ICheck
    {
        public void Run<TAct>(string name) where TAct : struct, IActivation
        {
            foreach (float z in new[] { 1e4f, -1e4f, 88.8f, -88.8f, 104f, -104f, 1e30f, -1e30f, float.MaxValue, float.MinValue, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, -float.Epsilon })
            {
                var e = Eval<TAct>(z);
                foreach (float v in new[] { e.Value, e.Value256, e.Value512, e.Derivative, e.Derivative256, e.Derivative512 })
                {
                    Assert.False(float.IsNaN(v), $"{name} at {z:R} gave NaN");
                    if (float.IsFinite(z))
                        Assert.True(float.IsFinite(v) || name is nameof(Identity) or nameof(Relu) or nameof(LeakyRelu) or nameof(Gelu),
                            $"{name} at {z:R} gave {v:R}");
                }
            }
        }
    }

    private sealed class NaNPropagates : ICheck
    {
        public void Run<TAct>(string name) where TAct : struct, IActivation
        {
            var e = Eval<TAct>(float.NaN);
            Assert.True(float.IsNaN(e.Value) && float.IsNaN(e.Value256) && float.IsNaN(e.Value512), $"{name}(NaN) is not NaN");
        }
    }

    private sealed class WithinUlps : ICheck
    {
        public void Run<TAct>(string name) where TAct : struct, IActivation
        {
            double worstValue = 0, worstDerivative = 0;
            float worstValueAt = 0, worstDerivativeAt = 0;
            for (int i = -200000; i <= 200000; i += 3)
            {
                float z = i * 1e-4f;
                var e = Eval<TAct>(z);
                double value = Reference.Apply(name, z), derivative = Reference.Derivative(name, z);
                foreach (float got in new[] { e.Value, e.Value256, e.Value512 })
                    if (Math.Abs(got - value) / Ulp(value) > worstValue)
                        (worstValue, worstValueAt) = (Math.Abs(got - value) / Ulp(value), z);
                // Where the derivative crosses 0 (SiLU near -1.28, Mish near -1.19) or comes from a = exp(z) - 1 (ELU),
                // it inherits an absolute error of a few ulps of 1: measured against max(|d|, 1/8) there.
                foreach (float got in new[] { e.Derivative, e.Derivative256, e.Derivative512 })
                {
                    double ulps = Math.Abs(got - derivative) / Ulp(Math.Max(Math.Abs(derivative), 0.125));
                    if (ulps > worstDerivative)
                        (worstDerivative, worstDerivativeAt) = (ulps, z);
                }
            }
            Assert.True(worstValue <= 6, $"{name}: values within {worstValue:F2} ulps (worst at {worstValueAt:R})");
            Assert.True(worstDerivative <= 6, $"{name}: derivatives within {worstDerivative:F2} ulps (worst at {worstDerivativeAt:R})");
        }

        /// <summary>The spacing of floats around |x| (subnormal spacing as the floor).</summary>
        private static double Ulp(double x) => Math.Max(Math.Pow(2, Math.Floor(Math.Log2(Math.Abs(x))) - 23), Math.Pow(2, -149));
    }

    private sealed class WidthsAgree : ICheck
    {
        public void Run<TAct>(string name) where TAct : struct, IActivation
        {
            foreach (float z in Inputs())
            {
                var e = Eval<TAct>(z);
                Assert.Equal(e.Value256, e.Value512);
                Assert.Equal(e.Derivative256, e.Derivative512);
            }
        }
    }
}
