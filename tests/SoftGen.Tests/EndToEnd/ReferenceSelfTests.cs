using System;
using System.Linq;
using Xunit;

namespace SoftGen.Tests.EndToEnd;

/// <summary>
/// The reference is only worth holding the library to if it is right: its erf against tabulated values, its
/// backward pass against central finite differences of its own loss (float64, h = 1e-6), its optimizers against
/// hand-worked first steps.
/// </summary>
public sealed class ReferenceSelfTests
{
    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(1e-3, 0.0011283787909692363)]
    [InlineData(0.1, 0.1124629160182849)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(1.5, 0.9661051464753108)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(3.0, 0.9999779095030014)]
    [InlineData(4.0, 0.9999999845827421)]
    [InlineData(5.0, 0.9999999999984626)]
    [InlineData(7.0, 1.0)]
    public void Erf_matches_tabulated_values(double x, double expected)
    {
        Assert.Equal(expected, Reference.Erf(x), 1e-14);
        Assert.Equal(-expected, Reference.Erf(-x), 1e-14);
    }

    [Fact]
    public void Erf_derivative_is_the_gaussian()
    {
        // d erf / dx = 2/sqrt(pi) exp(-x^2): checks the series over its whole range, not just at table points.
        for (double x = -5.5; x <= 5.5; x += 0.37)
        {
            const double h = 1e-5;
            double fd = (Reference.Erf(x + h) - Reference.Erf(x - h)) / (2 * h);
            Assert.Equal(2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x), fd, 1e-9);
        }
    }

    [Fact]
    public void Activation_derivatives_match_finite_differences()
    {
        foreach (var act in Enum.GetValues<Activation>())
            for (double z = -4.05; z <= 4.05; z += 0.3)
            {
                const double h = 1e-6;
                double fd = (Reference.Activate(act, z + h) - Reference.Activate(act, z - h)) / (2 * h);
                Assert.Equal(fd, Reference.Derivative(act, z), 1e-8);
            }
        // GELU's known values: gelu(1) = Phi(1) = 0.8413447460685429, gelu(-1) = -(1 - Phi(1)).
        Assert.Equal(0.8413447460685429, Reference.Activate(Activation.Gelu, 1.0), 1e-14);
        Assert.Equal(-0.15865525393145707, Reference.Activate(Activation.Gelu, -1.0), 1e-14);
    }

    /// <summary>The reference backward against central differences of the reference loss, every parameter of every model.</summary>
    [Theory]
    [MemberData(nameof(ModelCases.NumericNames), MemberType = typeof(ModelCases))]
    public void Reference_backward_matches_finite_differences(string name)
    {
        var m = ModelCases.Numeric[name].Reference;
        var rng = new Random(TestData.Seed(name, 1));
        const int rows = 5;
        var p = RandomParameters(m, rng);
        var x = TestData.ToDouble(TestData.Inputs(rng, rows, m.Inputs));
        var y = TestData.ToDouble(TestData.Targets(rng, m, rows));
        var analytic = Reference.Run(p, x, y, rows).Gradients;

        // Every parameter of the small models; a seeded sample of 300 per tensor of the larger ones.
        const double h = 1e-6;
        foreach (var tensor in m.ParameterNames)
        {
            var values = p[tensor];
            var indices = values.Length <= 300 ? Enumerable.Range(0, values.Length) : Enumerable.Range(0, 300).Select(_ => rng.Next(values.Length));
            var fd = indices.Select(k =>
            {
                double saved = values[k];
                values[k] = saved + h;
                double plus = Reference.Loss(p, x, y, rows);
                values[k] = saved - h;
                double minus = Reference.Loss(p, x, y, rows);
                values[k] = saved;
                return (k, (plus - minus) / (2 * h));
            }).ToArray();
            var expected = fd.Select(f => f.Item2).ToArray();
            var actual = fd.Select(f => analytic[tensor][f.k]).ToArray();
            Check.AllClose(actual, expected, 1e-6, 0, 1e-8, $"{name} reference d loss / d {tensor}");
        }
    }

    /// <summary>Random parameters of the scale a trained network has (weights ~ 1 / sqrt(fan_in)), biases included.</summary>
    internal static RefParameters RandomParameters(RefModel m, Random rng)
    {
        var p = new RefParameters(m);
        for (int i = 0; i < m.LayerCount; i++)
        {
            double bound = 1.5 / Math.Sqrt(m.InputsOf(i));
            for (int k = 0; k < p.Weights[i].Length; k++) p.Weights[i][k] = (float)((rng.NextDouble() * 2 - 1) * bound);
            for (int k = 0; k < p.Biases[i].Length; k++) p.Biases[i][k] = (float)((rng.NextDouble() * 2 - 1) * 0.5);
        }
        return p;
    }

    [Fact]
    public void Reference_optimizers_take_torch_first_steps()
    {
        var m = new RefModel(1, new[] { (1, Activation.None) }, RefLoss.SigmoidCrossEntropy);

        // SGD with momentum: step 1 p -= lr g; step 2 buf = mu g1 + g2.
        var p = new RefParameters(m);
        p.Weights[0][0] = 1.0;
        var g = new RefParameters(m);
        g.Weights[0][0] = 0.5;
        var sgd = new RefOptimizer(Optimizer.Sgd(0.1f, 0.5f));
        sgd.Step(p, g);
        Assert.Equal(1.0 - 0.1f * 0.5, p.Weights[0][0], 1e-15);
        sgd.Step(p, g);
        Assert.Equal(1.0 - 0.1f * 0.5 - 0.1f * (0.5f * 0.5 + 0.5), p.Weights[0][0], 1e-15);

        // Adam, first step: m_hat = g, v_hat = g^2, so p -= lr g / (|g| + eps) (to eps's effect).
        p.Weights[0][0] = 1.0;
        var adam = new RefOptimizer(Optimizer.Adam(0.01f));
        adam.Step(p, g);
        Assert.Equal(1.0 - 0.01f * 0.5 / (0.5 + 1e-8f), p.Weights[0][0], 1e-12);

        // AdamW: the decay comes first, p (1 - lr wd), then the same Adam step.
        p.Weights[0][0] = 1.0;
        var adamW = new RefOptimizer(Optimizer.AdamW(0.01f, 0.5f));
        adamW.Step(p, g);
        Assert.Equal((1.0 - (double)0.01f * 0.5f) - 0.01f * 0.5 / (0.5 + 1e-8f), p.Weights[0][0], 1e-12);
    }
}
