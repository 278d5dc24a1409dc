using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Skald.Tensors.Quantization;

/// <summary>
/// The AMX tile of the float32 product for a W whose every value is a bfloat16 (<see cref="SixTermMatrix.Bf16Exact"/>:
/// its second and third pieces are zero, so W is held as its first piece alone, 2 bytes a weight): three
/// <c>tdpbf16ps</c> terms per 32-deep chunk, x1·w1, x2·w1, x3·w1 in that order (<see cref="Terms"/>). These are
/// <see cref="SixTermTileAmx"/>'s six terms without the three whose W piece is zero, in the same order; each of those adds
/// +0 to the sums, so for finite x the sums are the six-term tile's bit for bit (an infinite x gives ±∞ here, where the
/// six-term tile's ∞·0 makes NaN; and a sum flushed to −0 stays −0 here where a zero term would make it +0). The same
/// <see cref="SixTermTileAmx.Args"/> and x layout (<see cref="SixTermLayout"/>, one 6 KB step a chunk); W's step is its
/// first piece's two tiles, 2 KB (<see cref="WStepBytes"/>), loaded once a chunk. Twin: <see cref="RunTwin"/>.
/// </summary>
internal static unsafe class ThreeTermTileAmx
{
    /// <summary>The three (x piece, W piece) terms a chunk, in the order the tile and its twin add them.</summary>
    public static readonly (int X, int W)[] Terms = [(0, 0), (1, 0), (2, 0)];

    /// <summary>One chunk of a panel pair of W: its first piece, two halves.</summary>
    public const int WStepBytes = 2 * SixTermLayout.TileBytes;

    /// <summary>bfloat16 values in W's step.</summary>
    public const int WStepValues = WStepBytes / sizeof(ushort);

    private static readonly nint Code = AmxState.HasBf16
        ? TileAssembler512.Place(() => SixTermTileAmx.AssembleTiles(EmitChunk, SixTermLayout.StepBytes, WStepBytes))
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
    public static void RunTwin(SixTermTileAmx.Args* args) => SixTermTileScalar.Run(args, Terms, WStepValues);

    // One chunk: W's two tiles (tmm6–7) once, then per x piece its two tiles (tmm4–5) and their four products into C.
    private static void EmitChunk(Assembler c)
    {
        c.tileloadd(tmm6, __[rdx + r9]);
        c.tileloadd(tmm7, __[rdx + r9 + SixTermLayout.TileBytes]);
        foreach (var (px, _) in Terms)
        {
            c.tileloadd(tmm4, __[rsi + r9 + SixTermLayout.Offset(px, 0)]);
            c.tileloadd(tmm5, __[rsi + r9 + SixTermLayout.Offset(px, 1)]);
            SixTermTileAmx.EmitProducts(c);
        }
    }
}
