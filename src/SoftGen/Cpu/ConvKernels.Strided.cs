using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SoftGen.Cpu;

// The input gradient of a strided convolution. Through strides sy x sx, input pixel (iy, ix) is seen only by the
// kernel positions (ky, kx) with ky dy = (iy + PaddingHeight) mod sy and kx dx = (ix + PaddingWidth) mod sx (modulo the
// strides; dy, dx the dilations): the others fall between the steps. The plain path gathers every kernel position and
// multiplies the gaps' zeros (sy sx times the work); this one splits each image's input pixels into the sy sx classes
// of (iy + PaddingHeight) mod sy, (ix + PaddingWidth) mod sx, and runs each class's GEMM over its own kernel positions
// only, with the weights of those positions packed once per class.
public static unsafe partial class ConvKernels
{
    /// <summary>Units of the strided input gradient: one per (class, row), class-major so that a chunk packs few classes.</summary>
    private static void StridedInputUnits<TShape, TPrevAct>(void* state, int start, int end)
        where TShape : struct, IConvShape where TPrevAct : struct, IActivation
    {
        var s = (InputsArgs*)state;
        int ics = TShape.InChannelStride, ocs = TShape.OutChannelStride, sy = TShape.StrideHeight, sx = TShape.StrideWidth;
        int maxTaps = MaxClassPositions(TShape.KernelHeight, TShape.DilationHeight, sy) * MaxClassPositions(TShape.KernelWidth, TShape.DilationWidth, sx);
        int maxDepth = maxTaps * ocs;
        int panels = (ics + 31) / 32;
        int gatherStride = Taps<TShape>() * ocs; // InputsGemm's row stride of A
        float* packed = WorkerPool.Scratch((nint)panels * maxDepth * 32 + (nint)ConvMicroKernels.Rows * gatherStride
            + (nint)ConvMicroKernels.Rows * ics + (nint)maxDepth * ics);
        float* gathered = packed + (nint)panels * maxDepth * 32;
        float* tile = gathered + (nint)ConvMicroKernels.Rows * gatherStride;
        float* classWeights = tile + (nint)ConvMicroKernels.Rows * ics;
        Span<int> taps = stackalloc int[maxTaps];
        Span<int> pixels = stackalloc int[ConvMicroKernels.Rows];
        int packedClass = -1, tapCount = 0;
        for (int unit = start; unit < end; unit++)
        {
            int cls = unit / s->Rows, r = unit - cls * s->Rows;
            int cy = cls / sx, cx = cls - cy * sx;
            if (cls != packedClass)
            {
                tapCount = ClassTaps<TShape>(cy, cx, taps);
                for (int q = 0; q < tapCount; q++)
                    Copy(s->WRot + (nint)taps[q] * ocs * ics, classWeights + (nint)q * ocs * ics, ocs * ics);
                if (tapCount > 0)
                    PackPanels(classWeights, ics, tapCount * ocs, packed);
                packedClass = cls;
            }
            // This class's input pixels: iy = y0, y0 + sy, ... with (iy + PaddingHeight) mod sy = cy; likewise ix.
            int y0 = ((cy - TShape.PaddingHeight) % sy + sy) % sy, x0 = ((cx - TShape.PaddingWidth) % sx + sx) % sx;
            int ny = y0 < TShape.InHeight ? (TShape.InHeight - y0 + sy - 1) / sy : 0;
            int nx = x0 < TShape.InWidth ? (TShape.InWidth - x0 + sx - 1) / sx : 0;
            int depth = tapCount * ocs;
            for (int p0 = 0; p0 < ny * nx; p0 += ConvMicroKernels.Rows)
            {
                int count = Math.Min(ConvMicroKernels.Rows, ny * nx - p0);
                for (int i = 0; i < count; i++)
                {
                    int iy = y0 + (p0 + i) / nx * sy, ix = x0 + (p0 + i) % nx * sx;
                    pixels[i] = r * InPixels<TShape>() + iy * TShape.InWidth + ix;
                    GatherClassGradients<TShape>(s->DZ, r, iy, ix, taps[..tapCount], gathered + (nint)i * gatherStride);
                }
                for (int j = 0, panel = 0; j < ics; j += 32, panel++)
                {
                    int vectors = Math.Min(2, (ics - j) / 16);
                    if (depth > 0)
                        ConvMicroKernels.Run<InputsGemm<TShape>, K0>(count, vectors, gathered, packed + (nint)panel * depth * 32, 32, tile + j, depth);
                    else
                        for (int i = 0; i < count; i++)
                            Clear(tile + (nint)i * ics + j, 16 * vectors);
                    ScatterInputEpilogue<TShape, TPrevAct>(s, tile, pixels, j, count, vectors);
                }
            }
        }
    }

    /// <summary>The most kernel positions along one axis that any class has (all of them where the dilation is a multiple of the stride).</summary>
    private static int MaxClassPositions(int kernel, int dilation, int stride)
    {
        int most = 0;
        for (int cls = 0; cls < stride; cls++)
        {
            int count = 0;
            for (int k = 0; k < kernel; k++)
                if (k * dilation % stride == cls)
                    count++;
            most = Math.Max(most, count);
        }
        return most;
    }

    /// <summary>The kernel positions that see the pixels of class (cy, cx): ky dy mod sy = cy and kx dx mod sx = cx.</summary>
    private static int ClassTaps<T>(int cy, int cx, Span<int> taps) where T : struct, IConvShape
    {
        int count = 0;
        for (int ky = 0; ky < T.KernelHeight; ky++)
            if (ky * T.DilationHeight % T.StrideHeight == cy)
                for (int kx = 0; kx < T.KernelWidth; kx++)
                    if (kx * T.DilationWidth % T.StrideWidth == cx)
                        taps[count++] = ky * T.KernelWidth + kx;
        return count;
    }

    /// <summary>
    /// For input pixel (iy, ix) of row r: at place q * OutChannelStride, the dZ row of the output pixel that sees it
    /// through the class's q-th kernel position, or zeros past the border.
    /// </summary>
    private static void GatherClassGradients<T>(float* dz, int r, int iy, int ix, ReadOnlySpan<int> taps, float* row) where T : struct, IConvShape
    {
        int ocs = T.OutChannelStride;
        float* image = dz + (nint)r * OutPixels<T>() * ocs;
        for (int q = 0; q < taps.Length; q++)
        {
            int ky = taps[q] / T.KernelWidth, kx = taps[q] - ky * T.KernelWidth;
            int ty = iy + T.PaddingHeight - ky * T.DilationHeight, tx = ix + T.PaddingWidth - kx * T.DilationWidth; // multiples of the strides, by the class
            float* target = row + (nint)q * ocs;
            if (ty >= 0 && tx >= 0 && ty / T.StrideHeight < T.OutHeight && tx / T.StrideWidth < T.OutWidth)
                Copy(image + ((nint)(ty / T.StrideHeight) * T.OutWidth + tx / T.StrideWidth) * ocs, target, ocs);
            else
                Clear(target, ocs);
        }
    }

    /// <summary>The tile's rows to their pixels' places in dX, times the previous activation's derivative; padding channels 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScatterInputEpilogue<TShape, TPrevAct>(InputsArgs* s, float* tile, ReadOnlySpan<int> pixels, int j, int rows, int vectors)
        where TShape : struct, IConvShape where TPrevAct : struct, IActivation
    {
        for (int i = 0; i < rows; i++)
        {
            nint row = (nint)pixels[i] * TShape.InChannelStride;
            for (int col = j; col < j + 16 * vectors; col += 16)
                StoreInputGradient<TShape, TPrevAct>(s, Vector512.Load(tile + (nint)i * TShape.InChannelStride + col), row, col);
        }
    }
}
