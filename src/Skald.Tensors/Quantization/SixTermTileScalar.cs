namespace Skald.Tensors.Quantization;

/// <summary>
/// The scalar twin of <see cref="SixTermTileAmx"/> (the same <see cref="SixTermTileAmx.Args"/>, the same bits): per tile
/// and output, the sum starts from zero (or from the stored sum), and per 32-deep chunk each of the six terms in
/// <see cref="SixTermTileAmx.Terms"/>' order adds one <c>tdpbf16ps</c> step as <see cref="Bf16TileAmxScalar"/> models it:
/// an even-k and an odd-k partial sum from zero, each taking its 16 products by fused multiply-add rounded to nearest
/// even, their sum, then that added to the tile's sum; bfloat16 denormals read as zero, float32 denormals flushed.
/// </summary>
internal static unsafe class SixTermTileScalar
{
    /// <summary>Runs <paramref name="args"/> as the tile does (Tiles counted down to 0).</summary>
    public static void Run(SixTermTileAmx.Args* args) => Run(args, SixTermTileAmx.Terms, SixTermLayout.StepValues);

    /// <summary>
    /// Runs <paramref name="args"/> with <paramref name="terms"/> a chunk, W's steps <paramref name="wStepValues"/> apart
    /// (<see cref="ThreeTermTileAmx"/>'s twin: its three terms over W's first piece alone).
    /// </summary>
    public static void Run(SixTermTileAmx.Args* args, (int X, int W)[] terms, int wStepValues) =>
        Run(args, terms, SixTermLayout.StepValues, wStepValues);

    /// <summary>
    /// Runs <paramref name="args"/> with <paramref name="terms"/> a chunk, x's steps <paramref name="xStepValues"/> and W's
    /// <paramref name="wStepValues"/> apart (<see cref="SixTermLayout.StepValuesOf"/>: <see cref="HighTileAmx"/>'s twin
    /// reads x's two pieces, 4 KB a step).
    /// </summary>
    public static void Run(SixTermTileAmx.Args* args, (int X, int W)[] terms, int xStepValues, int wStepValues)
    {
        var x = (ushort*)args->A;
        var pair = (ushort*)args->B;
        var acc = args->Acc;
        long ldc = args->LdcBytes / sizeof(float);
        for (; args->Tiles > 0; args->Tiles--)
        {
            for (int r = 0; r < SixTermLayout.Block; r++)
            for (int j = 0; j < SixTermLayout.Block; j++)
            {
                float* c = acc + r * ldc + j;
                float sum = args->Accumulate != 0 ? *c : 0f;
                for (int step = 0; step < args->Steps; step++)
                {
                    foreach (var (px, pw) in terms)
                    {
                        float even = 0f, odd = 0f;
                        for (int p = 0; p < 16; p++)
                        {
                            int t = step * SixTermLayout.Block + 2 * p;
                            even = Fma(x[SixTermLayout.XIndex(r, t, px, xStepValues)], pair[SixTermLayout.WIndex(j, t, pw, wStepValues)], even);
                            odd = Fma(x[SixTermLayout.XIndex(r, t + 1, px, xStepValues)], pair[SixTermLayout.WIndex(j, t + 1, pw, wStepValues)], odd);
                        }
                        sum = Bf16TileScalar.Flush(sum + Bf16TileScalar.Flush(even + odd));
                    }
                }
                *c = sum;
            }
            pair += args->PairBytes / sizeof(ushort);
            acc += 2 * 16;
        }
    }

    private static float Fma(ushort a, ushort b, float sum) =>
        Bf16TileScalar.Flush(MathF.FusedMultiplyAdd(Bf16TileScalar.Value(a), Bf16TileScalar.Value(b), sum));
}
