namespace Skald.Tensors.Quantization;

/// <summary>
/// The AMX tile of the float32 product at "high" precision (<see cref="Float32MatmulPrecision.High"/>, what
/// <c>torch.set_float32_matmul_precision("high")</c> allows: each float32 treated as the sum of two bfloat16s; PyTorch
/// 2.x documentation of <c>torch.set_float32_matmul_precision</c>): three <c>tdpbf16ps</c> terms per 32-deep chunk,
/// x1·w1, x1·w2, x2·w1 in that order (<see cref="Terms"/>), over the same pieces, layout and
/// <see cref="SixTermTileAmx.Args"/> as <see cref="SixTermTileAmx"/>, of which it reads only the first two pieces: x split
/// into those two alone (<see cref="XStepValues"/>, 4 KB a chunk), W two-piece too (<see cref="SixTermMatrix.PieceCount"/>
/// 2: held so by a model at "high", or split so per call from its float32 panels; 4 KB a chunk, 4 bytes a weight) or,
/// made before the precision was asked for, three-piece (6 KB a chunk, the third piece not read): one placed routine per
/// W step. The pieces, the terms and their order do not depend on the layout, so neither do the sums (bit for bit).
/// Twin: <see cref="RunTwin"/>.
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

    /// <summary>bfloat16 values in a step of x's pieces (its first two: <see cref="SixTermLayout.StepValuesOf"/>(2)).</summary>
    public static readonly int XStepValues = SixTermLayout.StepValuesOf(2);

    // The routines for W's two-piece step and its three-piece one.
    private static readonly nint Code2 = Place(2), Code3 = Place(3);

    /// <summary>Whether the process runs AMX-BF16 (<see cref="AmxState.HasBf16"/>) and the code was placed.</summary>
    public static bool IsSupported => Code2 != 0;

    /// <summary>
    /// Runs <paramref name="args"/> (its Tiles counted down; x's steps <see cref="XStepValues"/> apart, W's of
    /// <paramref name="wPieces"/> pieces, 2 or 3) on the tile, or on its twin when <paramref name="scalar"/>, on a CPU
    /// without AMX-BF16, or on a thread that cannot run tile instructions (<see cref="AmxState.PrepareThread"/>): the same
    /// bits.
    /// </summary>
    public static void Run(SixTermTileAmx.Args* args, bool scalar, int wPieces) =>
        SixTermTileAmx.RunOrTwin(wPieces == 2 ? Code2 : Code3, args, scalar, wPieces == 2 ? &RunTwin2 : &RunTwin3);

    /// <summary>The scalar twin (<see cref="SixTermTileScalar"/>'s model of <c>tdpbf16ps</c>, over <see cref="Terms"/>), W of <paramref name="wPieces"/> pieces.</summary>
    public static void RunTwin(SixTermTileAmx.Args* args, int wPieces) =>
        SixTermTileScalar.Run(args, Terms, XStepValues, SixTermLayout.StepValuesOf(wPieces));

    private static void RunTwin2(SixTermTileAmx.Args* args) => RunTwin(args, 2);

    private static void RunTwin3(SixTermTileAmx.Args* args) => RunTwin(args, 3);

    private static nint Place(int wPieces) => AmxState.HasBf16
        ? TileAssembler512.Place(() => SixTermTileAmx.AssembleTiles(c => SixTermTileAmx.EmitTerms(c, Terms),
            XStepValues * sizeof(ushort), SixTermLayout.StepValuesOf(wPieces) * sizeof(ushort)))
        : 0;
}
