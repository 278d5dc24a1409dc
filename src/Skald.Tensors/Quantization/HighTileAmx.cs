namespace Skald.Tensors.Quantization;

/// <summary>
/// The AMX tile of the float32 product at "high" precision (<see cref="Float32MatmulPrecision.High"/>, what
/// <c>torch.set_float32_matmul_precision("high")</c> allows: each float32 treated as the sum of two bfloat16s; PyTorch
/// 2.x documentation of <c>torch.set_float32_matmul_precision</c>): three <c>tdpbf16ps</c> terms per 32-deep chunk,
/// x1·w1, x1·w2, x2·w1 in that order (<see cref="Terms"/>), over the same pieces, layout and
/// <see cref="SixTermTileAmx.Args"/> as <see cref="SixTermTileAmx"/> (one 6 KB step a chunk for x and for W; the third
/// pieces are not read). Twin: <see cref="RunTwin"/>.
/// <para>
/// Error. bfloat16 keeps 8 significant bits (unit roundoff u = 2^-8), and the split is p1 = bf16(v), p2 = bf16(v − p1)
/// to nearest even (<see cref="SixTermLayout.Piece"/>), so |v − p1| ≤ u|v| and |v − p1 − p2| ≤ u|v − p1| ≤ u²|v| =
/// 2^-16|v|. With x = x1 + x2 + ex and w = w1 + w2 + ew, x·w − (x1w1 + x1w2 + x2w1) = x2w2 + (x1 + x2)·ew + ex·w, each
/// below about 2^-16|x·w| (x2w2 ≤ u²|x||w|(1 + u)²): a product is within about 3·2^-16 ≈ 4.6e-5 of its value, where the
/// six terms' is within about 2^-24 (the dropped x2w3, x3w2, x3w3 are each below u³ = 2^-24). The tile adds its
/// exact bfloat16 products in float32 as the six-term tile does; for K values the sum's rounding adds at most about
/// (K/32·3 + 17)·2^-24 of Σ|x·w|. Random signs make the observed error far smaller than these bounds
/// (docs/performance.md, 2026-12-07 22:06).
/// </para>
/// </summary>
internal static unsafe class HighTileAmx
{
    /// <summary>The three (x piece, W piece) terms a chunk, in the order the tile and its twin add them.</summary>
    public static readonly (int X, int W)[] Terms = [(0, 0), (0, 1), (1, 0)];

    private static readonly nint Code = AmxState.HasBf16
        ? TileAssembler512.Place(() => SixTermTileAmx.AssembleTiles(c => SixTermTileAmx.EmitTerms(c, Terms), SixTermLayout.StepBytes, SixTermLayout.StepBytes))
        : 0;

    /// <summary>Whether the process runs AMX-BF16 (<see cref="AmxState.HasBf16"/>) and the code was placed.</summary>
    public static bool IsSupported => Code != 0;

    /// <summary>
    /// Runs <paramref name="args"/> (its Tiles counted down) on the tile, or on its twin when <paramref name="scalar"/>, on
    /// a CPU without AMX-BF16, or on a thread that cannot run tile instructions (<see cref="AmxState.PrepareThread"/>):
    /// the same bits.
    /// </summary>
    public static void Run(SixTermTileAmx.Args* args, bool scalar) => SixTermTileAmx.RunOrTwin(Code, args, scalar, &RunTwin);

    /// <summary>The scalar twin (<see cref="SixTermTileScalar"/>'s model of <c>tdpbf16ps</c>, over <see cref="Terms"/>).</summary>
    public static void RunTwin(SixTermTileAmx.Args* args) => SixTermTileScalar.Run(args, Terms, SixTermLayout.StepValues);
}
