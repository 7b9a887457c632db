using System;

namespace SoftMasks;

/// <summary>Soft per-pixel targets from images: the garment mask, blurred so that its edges carry probabilities.</summary>
internal static class Masks
{
    /// <summary>Pixels brighter than this (of 1) are garment.</summary>
    public const float Threshold = 0.05f;

    /// <summary>
    /// Targets [count, 2, 28, 28] (NCHW): channel 1 is P(garment) = the 0/1 mask blurred by a normalised Gaussian
    /// (sigma 1 pixel, 5x5, zero outside the image); channel 0 is 1 minus it, so that each pixel sums to 1.
    /// </summary>
    public static float[] Targets(float[] images, int count, int side)
    {
        int pixels = side * side;
        var kernel = new float[5];
        double sum = 0;
        for (int k = -2; k <= 2; k++)
            sum += kernel[k + 2] = (float)Math.Exp(-0.5 * k * k);
        for (int k = 0; k < 5; k++)
            kernel[k] = (float)(kernel[k] / sum);

        var targets = new float[count * 2 * pixels];
        var mask = new float[pixels];
        var rowsBlurred = new float[pixels];
        for (int i = 0; i < count; i++)
        {
            for (int p = 0; p < pixels; p++)
                mask[p] = images[i * pixels + p] > Threshold ? 1f : 0f;
            // Separable blur: along x, then along y.
            for (int y = 0; y < side; y++)
                for (int x = 0; x < side; x++)
                {
                    float s = 0;
                    for (int k = -2; k <= 2; k++)
                        if ((uint)(x + k) < (uint)side) s += kernel[k + 2] * mask[y * side + x + k];
                    rowsBlurred[y * side + x] = s;
                }
            for (int y = 0; y < side; y++)
                for (int x = 0; x < side; x++)
                {
                    float s = 0;
                    for (int k = -2; k <= 2; k++)
                        if ((uint)(y + k) < (uint)side) s += kernel[k + 2] * rowsBlurred[(y + k) * side + x];
                    float garment = Math.Clamp(s, 0f, 1f);
                    targets[(i * 2 + 1) * pixels + y * side + x] = garment;
                    targets[(i * 2 + 0) * pixels + y * side + x] = 1f - garment;
                }
        }
        return targets;
    }

    /// <summary>Adds Gaussian noise (Box-Muller, seeded) to the images and clamps them to [0, 1]: the model's inputs.</summary>
    public static float[] Noisy(float[] images, double sigma, int seed)
    {
        var random = new Random(seed);
        var result = new float[images.Length];
        for (int k = 0; k < images.Length; k++)
        {
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            double noise = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            result[k] = (float)Math.Clamp(images[k] + sigma * noise, 0.0, 1.0);
        }
        return result;
    }
}
