using System;
using System.ComponentModel;

namespace SoftGen.Training;

/// <summary>
/// The scalars of one Adam(W) update, torch.optim's single-tensor arithmetic: bias corrections computed in double,
/// the element-wise update then in float. The CPU backend (OptimizerState) and the GPU optimizer kernel (SoftGen.Gpu)
/// both take them from <see cref="For"/>, so the two backends update with the same constants.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public struct AdamScalars
{
    public float OneMinusBeta1, Beta2, OneMinusBeta2, NegativeStepSize, Bias2Sqrt, Epsilon, Decay;

    /// <summary>The scalars of update number <paramref name="step"/> (1-based) of an Adam or AdamW optimizer.</summary>
    public static AdamScalars For(Optimizer o, long step)
    {
        ArgumentNullException.ThrowIfNull(o);
        // The schedule's rate and beta1 for this update (the optimizer's own without a schedule), in double as PyTorch's are.
        double rate = o.RateAt(step - 1), beta1 = o.Beta1At(step - 1);
        double bias1 = 1.0 - Power(beta1, step);
        double bias2 = 1.0 - Power(o.Beta2, step);
        return new AdamScalars
        {
            OneMinusBeta1 = (float)(1.0 - beta1),
            Beta2 = o.Beta2,
            OneMinusBeta2 = (float)(1.0 - o.Beta2),
            NegativeStepSize = (float)-(rate / bias1),
            Bias2Sqrt = (float)Math.Sqrt(bias2),
            Epsilon = o.Epsilon,
            // PyTorch: param.mul_(1 - lr * weight_decay), the factor computed in double; Adam multiplies by exactly 1.
            Decay = o.Kind == OptimizerKind.AdamW ? (float)(1.0 - rate * o.WeightDecay) : 1f,
        };
    }

    /// <summary>x^n by squaring: exact IEEE products in a fixed order, unlike Math.Pow, whose last bit may vary by platform.</summary>
    internal static double Power(double x, long n)
    {
        double result = 1.0;
        while (n > 0)
        {
            if ((n & 1) != 0) result *= x;
            x *= x;
            n >>= 1;
        }
        return result;
    }
}
