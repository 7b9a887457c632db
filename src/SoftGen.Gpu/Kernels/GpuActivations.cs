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

/// <summary>An activation whose derivative follows from its output a = act(z) (every one but GELU, which needs z).</summary>
public interface IGpuActivationFromOutput : IGpuActivation
{
    float DerivativeFromOutput(float a);
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

public readonly struct GeluActivation : IGpuActivation
{
    public float Apply(float z) => KernelMath.Gelu(z);
}
