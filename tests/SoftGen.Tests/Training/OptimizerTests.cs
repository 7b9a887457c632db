using System;
using Xunit;

namespace SoftGen.Tests.Training;

/// <summary>Each optimizer against a float64 transcription of torch.optim's update, fed the trainer's own gradients.</summary>
public sealed class OptimizerTests
{
    private const int N = LinearTrainer.StorageLength;

    /// <summary>torch.optim.SGD / Adam / AdamW (single-tensor path), in double.</summary>
    private sealed class Reference(Optimizer o, double[] p)
    {
        public readonly double[] P = p;
        private readonly double[] _m = new double[N], _v = new double[N];
        private int _t;

        public void Step(double[] g)
        {
            _t++;
            double lr = o.LearningRate;
            for (int k = 0; k < N; k++)
            {
                switch (o.Kind)
                {
                    case OptimizerKind.Sgd:
                        if (o.Momentum == 0) { P[k] -= lr * g[k]; break; }
                        _m[k] = _t == 1 ? g[k] : o.Momentum * _m[k] + g[k];
                        P[k] -= lr * _m[k];
                        break;
                    default:
                        if (o.Kind == OptimizerKind.AdamW) P[k] *= 1 - lr * o.WeightDecay;
                        double b1 = o.Beta1, b2 = o.Beta2;
                        _m[k] = b1 * _m[k] + (1 - b1) * g[k];
                        _v[k] = b2 * _v[k] + (1 - b2) * g[k] * g[k];
                        double stepSize = lr / (1 - Math.Pow(b1, _t));
                        double denom = Math.Sqrt(_v[k]) / Math.Sqrt(1 - Math.Pow(b2, _t)) + o.Epsilon;
                        P[k] -= stepSize * _m[k] / denom;
                        break;
                }
            }
        }
    }

    public static TheoryData<string> Optimizers => new() { "sgd", "sgd-momentum", "adam", "adamw" };

    private static Optimizer Make(string name) => name switch
    {
        "sgd" => Optimizer.Sgd(0.5f),
        "sgd-momentum" => Optimizer.Sgd(0.1f, momentum: 0.9f),
        "adam" => Optimizer.Adam(0.01f),
        "adamw" => Optimizer.AdamW(0.01f, weightDecay: 0.1f, beta1: 0.8f, beta2: 0.99f, epsilon: 1e-6f),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Update_matches_the_float64_PyTorch_rule_step_by_step(string name)
    {
        var optimizer = Make(name);
        using var t = new LinearTrainer(Data.Options(optimizer, batchSize: 5, seed: 3));
        var p0 = new double[N];
        for (int k = 0; k < N; k++) p0[k] = t.StorageAt(k);
        var reference = new Reference(optimizer, p0);
        var (x, y) = Data.Make(40);

        for (int step = 0; step < 8; step++)
        {
            t.TrainStep(x.AsSpan(step * 15, 15), y.AsSpan(step * 10, 10), 5);
            var g = new double[N];
            for (int k = 0; k < N; k++) g[k] = t.GradientAt(k);
            reference.Step(g);
            for (int k = 0; k < N; k++)
                Assert.True(Math.Abs(reference.P[k] - t.StorageAt(k)) <= 2e-6 + 1e-5 * Math.Abs(reference.P[k]),
                    $"{name} step {step + 1}, storage {k}: expected {reference.P[k]}, got {t.StorageAt(k)}");
        }
        Assert.Equal(8, t.Step);
        ParameterAccessTests.AssertPaddingIsZero(t);
    }

    [Fact]
    public void First_Adam_step_moves_each_weight_by_lr_against_its_gradient_sign()
    {
        // Step 1: m = 0.1 g, v = 0.001 g^2; m / (1 - 0.9) = g and sqrt(v) / sqrt(1 - 0.999) = |g|,
        // so p1 = p0 - lr g / (|g| + eps) = p0 - lr sign(g) (up to eps / |g|).
        using var t = new LinearTrainer(Data.Options(Optimizer.Adam(0.1f), batchSize: 1));
        t.SetParameter("layers.0.weight", new float[] { 0.5f, -0.25f, 1f, 0f, 0.75f, -1f });
        t.SetParameter("layers.0.bias", new float[] { 0.1f, -0.1f });
        var before = Read(t);
        t.TrainStep(new float[] { 1f, -2f, 0.5f }, new float[] { 0.3f, 0.7f }, 1);
        var g = new float[8];
        t.GetGradient("layers.0.weight", g.AsSpan(0, 6));
        t.GetGradient("layers.0.bias", g.AsSpan(6, 2));
        var after = Read(t);
        for (int k = 0; k < 8; k++)
        {
            Assert.NotEqual(0f, g[k]);
            Assert.Equal(before[k] - 0.1 * Math.Sign(g[k]), after[k], 1e-6);
        }
    }

    [Fact]
    public void First_AdamW_step_decays_then_steps()
    {
        using var t = new LinearTrainer(Data.Options(Optimizer.AdamW(0.1f, weightDecay: 0.5f), batchSize: 1));
        t.SetParameter("layers.0.weight", new float[] { 0.5f, -0.25f, 1f, 0.2f, 0.75f, -1f });
        var before = Read(t);
        t.TrainStep(new float[] { 1f, -2f, 0.5f }, new float[] { 0.3f, 0.7f }, 1);
        var g = new float[6];
        t.GetGradient("layers.0.weight", g);
        var after = Read(t);
        for (int k = 0; k < 6; k++)
            Assert.Equal(before[k] * (1 - 0.1 * 0.5) - 0.1 * Math.Sign(g[k]), after[k], 1e-6);
    }

    [Fact]
    public void SetParameter_keeps_the_optimizer_state()
    {
        var (x, y) = Data.Make(2);
        using var a = new LinearTrainer(Data.Options(Optimizer.Sgd(0.1f, momentum: 0.9f), batchSize: 2));
        using var b = new LinearTrainer(Data.Options(Optimizer.Sgd(0.1f, momentum: 0.9f), batchSize: 2));
        a.TrainStep(x, y, 2);
        b.TrainStep(x, y, 2);
        var w = new float[6];
        a.GetParameter("layers.0.weight", w);
        b.SetParameter("layers.0.weight", w); // same values: state kept means the next steps agree
        a.TrainStep(x, y, 2);
        b.TrainStep(x, y, 2);
        Assert.Equal(Read(a), Read(b));
        Assert.Equal(2, b.Step);
    }

    private static float[] Read(LinearTrainer t)
    {
        var w = new float[8];
        t.GetParameter("layers.0.weight", w.AsSpan(0, 6));
        t.GetParameter("layers.0.bias", w.AsSpan(6, 2));
        return w;
    }
}
