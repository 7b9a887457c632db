using ILGPU.Algorithms;

namespace SoftGen.Gpu.Kernels;

/// <summary>
/// An activation a GEMM applies in its epilogue. The kernels take it as a struct type argument, so that ILGPU
/// compiles each use with the activation inlined (no call, no branch on a kind).
/// </summary>
public interface IGpuActivation
{
    float Apply(float z);
}

/// <summary>An activation whose derivative follows from its output a = act(z) (all but GELU, SiLU and Mish).</summary>
public interface IGpuActivationFromOutput : IGpuActivation
{
    float DerivativeFromOutput(float a);
}

/// <summary>An activation whose derivative needs the pre-activation z (GELU, SiLU, Mish): its layer keeps Z.</summary>
public interface IGpuActivationFromInput : IGpuActivation
{
    float Derivative(float z);
}

public readonly struct IdentityActivation : IGpuActivationFromOutput
{
    public float Apply(float z) => z;
    public float DerivativeFromOutput(float a) => 1f;
}

public readonly struct ReluActivation : IGpuActivationFromOutput
{
    public float Apply(float z) => z > 0f ? z : 0f;
    public float DerivativeFromOutput(float a) => a > 0f ? 1f : 0f;
}

public readonly struct LeakyReluActivation : IGpuActivationFromOutput
{
    public float Apply(float z) => z > 0f ? z : 0.01f * z;
    public float DerivativeFromOutput(float a) => a > 0f ? 1f : 0.01f;
}

public readonly struct TanhActivation : IGpuActivationFromOutput
{
    public float Apply(float z) => XMath.Tanh(z);
    public float DerivativeFromOutput(float a) => 1f - a * a;
}

public readonly struct SigmoidActivation : IGpuActivationFromOutput
{
    public float Apply(float z) => KernelMath.Sigmoid(z);
    public float DerivativeFromOutput(float a) => a * (1f - a);
}

public readonly struct GeluActivation : IGpuActivationFromInput
{
    public float Apply(float z) => KernelMath.Gelu(z);
    public float Derivative(float z) => KernelMath.GeluDerivative(z);
}

public readonly struct SiluActivation : IGpuActivationFromInput
{
    public float Apply(float z) => KernelMath.Silu(z);
    public float Derivative(float z) => KernelMath.SiluDerivative(z);
}

/// <summary>ELU with alpha 1: z for z &gt; 0, else exp(z) - 1; its derivative, 1 or a + 1, follows from a.</summary>
public readonly struct EluActivation : IGpuActivationFromOutput
{
    public float Apply(float z) => KernelMath.Elu(z);
    public float DerivativeFromOutput(float a) => a > 0f ? 1f : a + 1f;
}

public readonly struct MishActivation : IGpuActivationFromInput
{
    public float Apply(float z) => KernelMath.Mish(z);
    public float Derivative(float z) => KernelMath.MishDerivative(z);
}
