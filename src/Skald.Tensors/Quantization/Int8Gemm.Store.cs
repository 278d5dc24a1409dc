using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Tensors.Quantization;

public static unsafe partial class Int8Gemm
{
    /// <summary>
    /// Whether a tile of full panels of the 512-bit VNNI kernel (8 × 48 of 8 rows, 8 × 32 or 8 × 16 of any) dequantises in its
    /// own epilogue (<see cref="Int8TileVnni512.TileDequantize"/>, the same bits as the tile plus <see cref="Store"/>); true unless the
    /// environment variable SKALD_INT8_TILE_STORE is 0 (for benchmarks, which also flip it between rounds).
    /// </summary>
    internal static bool DequantizeInTile { get; set; } = Environment.GetEnvironmentVariable("SKALD_INT8_TILE_STORE") != "0";

    // GELU over rows × cols of y (cols a multiple of 16) in place, 16 at a time: the values Store's vector branch
    // writes with gelu on (Kernels.Activations.GeluOf of the same dequantised vector).
    private static void GeluRows(float* y, int ldy, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            float* yr = y + (long)r * ldy;
            for (int c = 0; c < cols; c += Int8Matrix.PanelWidth)
                Avx512F.Store(yr + c, Kernels.Activations.GeluOf(Avx512F.LoadVector512(yr + c)));
        }
    }

    // Asks for the lines of y a tile's store will write (rows [r, r + rows), width panels of 16 floats from col0, each
    // panel a 64-byte line when y is aligned) before the tile runs: the tile's few thousand cycles hide the misses, where
    // otherwise its store waits on each line (y of a 1024-row product is megabytes, out of cache). bench/int8, Zen 4:
    // 1024×384×1536 with the 8 × 48 tile 308–322 → 342–363 GOP/s per CPU s (3 interleaved pairs).
    private static void PrefetchOutput(float* y, int n, int r, int rows, int col0, int width)
    {
        if (!Sse.IsSupported) return;
        for (int t = 0; t < rows; t++)
        {
            float* yr = y + (long)(r + t) * n + col0;
            for (int c = 0; c < width; c++) Sse.Prefetch0(yr + c * Int8Matrix.PanelWidth);
        }
    }

    // A tile's sums of `width` panels from col0 (acc rows lacc apart, panel t at 16t) through Store, a panel at a time
    // (the last one part-filled when N ends inside it).
    private static void StorePanels(int* acc, int lacc, int row0, int rows, int col0, int width, float* scales, int* zeros,
        float* wScales, int* rowSums, float* bias, float* y, int ldy, delegate*<float*, float*, int, void> activation, bool gelu)
    {
        for (int t = 0; t < width; t++)
        {
            int colT = col0 + t * Int8Matrix.PanelWidth;
            Store(acc + t * Int8Matrix.PanelWidth, lacc, row0, rows, colT, Math.Min(Int8Matrix.PanelWidth, ldy - colT), scales,
                zeros, wScales, rowSums, bias, y, ldy, activation, gelu);
        }
    }

    // y[row, col0..col0+cols] = (acc − zero·rowsum) · (scale · wscale) + bias, a tile's rows; the same arithmetic in
    // the vector and the scalar branch: the centred sum as one fused multiply-add, fma(−zero, float(rowsum),
    // float(acc)), rounded once (the integer acc − zero·rowsum exactly while |acc| < 2^24, i.e. any depth up to 518,
    // and within one rounding of float(acc) beyond: far below the codes' own error), then one multiply and one add;
    // then the activation, if any: GELU (gelu) on the registers before the store, another (a row kernel) over the
    // tile row's outputs after it. A tile row in acc wider than 16 values (lacc 48: the 512-bit tile, which stores zmm
    // rows; lacc 32: the AMX tile, which stores 64-byte rows) is read with one 512-bit load.
    private static void Store(int* acc, int lacc, int row0, int rows, int col0, int cols, float* scales, int* zeros,
        float* wScales, int* rowSums, float* bias, float* y, int ldy, delegate*<float*, float*, int, void> activation,
        bool gelu)
    {
        if (Avx512F.IsSupported && cols == Int8Matrix.PanelWidth)
        {
            // One zmm per tile row; the panel's row sums, weight scales and bias loaded once for the tile.
            var rs = Avx512F.ConvertToVector512Single(Avx512F.LoadVector512(rowSums + col0));
            bool zmmRows = lacc != Int8Matrix.PanelWidth;
            var ws = Avx512F.LoadVector512(wScales + col0);
            var vb = bias != null ? Avx512F.LoadVector512(bias + col0) : Vector512<float>.Zero;
            for (int r = 0; r < rows; r++)
            {
                float* yr = y + (long)(row0 + r) * ldy + col0;
                // Two 256-bit loads, not one 512-bit: the VNNI tile stores each row as two ymm, and a load spanning
                // two stores is not forwarded from them (it waits for both to reach the cache).
                int* ar = acc + r * lacc;
                var sums = zmmRows ? Avx512F.LoadVector512(ar) : Vector512.Create(Avx.LoadVector256(ar), Avx.LoadVector256(ar + 8));
                var centred = Avx512F.FusedMultiplyAdd(Vector512.Create(-(float)zeros[row0 + r]), rs, Avx512F.ConvertToVector512Single(sums));
                var v = Avx512F.Multiply(centred, Avx512F.Multiply(Vector512.Create(scales[row0 + r]), ws));
                if (bias != null) v = Avx512F.Add(v, vb);
                if (gelu) v = Kernels.Activations.GeluOf(v);
                Avx512F.Store(yr, v);
            }
            // (A row kernel in its own loop: a call inside the one above would spill the tile's vectors every row.)
            for (int r = 0; activation != null && r < rows; r++)
                activation(y + (long)(row0 + r) * ldy + col0, y + (long)(row0 + r) * ldy + col0, cols);
            return;
        }
        for (int r = 0; r < rows; r++)
        {
            float s = scales[row0 + r];
            int z = zeros[row0 + r];
            int* ar = acc + r * lacc;
            float* yr = y + (long)(row0 + r) * ldy + col0;
            int c = 0;
            if (Avx2.IsSupported && Fma.IsSupported && cols == Int8Matrix.PanelWidth)
            {
                var vz = Vector256.Create(-(float)z);
                var vs = Vector256.Create(s);
                for (; c < Int8Matrix.PanelWidth; c += 8)
                {
                    var centred = Fma.MultiplyAdd(vz, Avx.ConvertToVector256Single(Avx.LoadVector256(rowSums + col0 + c)),
                        Avx.ConvertToVector256Single(Avx.LoadVector256(ar + c)));
                    var v = Avx.Multiply(centred, Avx.Multiply(vs, Avx.LoadVector256(wScales + col0 + c)));
                    if (bias != null) v = Avx.Add(v, Avx.LoadVector256(bias + col0 + c));
                    if (gelu) v = Kernels.Activations.GeluOf(v);
                    Avx.Store(yr + c, v);
                }
            }
            for (; c < cols; c++)
            {
                float v = MathF.FusedMultiplyAdd(-(float)z, rowSums[col0 + c], ar[c]) * (s * wScales[col0 + c]);
                if (bias != null) v += bias[col0 + c];
                yr[c] = gelu ? Kernels.Activations.GeluOf(v) : v;
            }
            if (activation != null) activation(yr, yr, cols);
        }
    }
}
