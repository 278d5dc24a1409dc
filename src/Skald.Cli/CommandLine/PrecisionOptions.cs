using System.CommandLine;
using Skald.Retrieval.Quantization;

namespace Skald.Cli.CommandLine;

/// <summary>
/// The embedding-precision options (<c>--precision</c>, <c>--pq</c>, <c>--rescore-multiplier</c>) of the commands that
/// store or search embeddings, and the one reading of them.
/// </summary>
internal sealed class PrecisionOptions
{
    /// <summary>
    /// The options; <paramref name="what"/> says what is quantized, <paramref name="rescoring"/> whether the command
    /// searches (the rescoring options), <paramref name="product"/> whether it takes <c>--pq</c> (an index or a search),
    /// <paramref name="tokens"/> whether it also takes float16, for a late-interaction index's token vectors (<c>index build</c>).
    /// </summary>
    public PrecisionOptions(string what, bool rescoring, bool product = true, bool tokens = false)
    {
        Precision = CliOptions.OptionalChoice("--precision",
            $"{what} in this number format (sentence-transformers' quantize_embeddings): int8 / uint8 (one byte per dimension, " +
            "255 steps over each dimension's range in the corpus), binary / ubinary (one bit per dimension: 32× smaller; " +
            "the dimension must be divisible by 8); default float32" + (tokens
                ? ". A late-interaction (ColBERT) model's index stores its token vectors as float32, float16 (2× smaller) or int8 " +
                  "(4× smaller: a byte per value, 127 steps each side of zero up to the vector's largest value) and scans them in that format"
                : ""),
            tokens ? ["float32", "float16", "int8", "uint8", "binary", "ubinary"] : ["float32", "int8", "uint8", "binary", "ubinary"]);
        Pq = !product ? null : CliOptions.Int("--pq",
            $"{what} as product-quantized codes (faiss's PQ; with --ivf-lists IVF-PQ, residuals from the lists' centroids): each row cut " +
            "into M sub-vectors, each stored as its nearest of 256 centroids (2^B with --pq-bits B) trained on the rows, M bytes a row (M / 2 with 4-bit codes; M must divide the " +
            "dimension; e.g. 48 for 384-d: 32× smaller than float32); the best hits are rescored with the float embeddings", helpName: "M");
        PqBits = !product ? null : CliOptions.Int("--pq-bits",
            "With --pq: bits per sub-vector code, 1 to 8 (2^bits centroids; default 8). 1 to 4 bits (at most 16 centroids) are stored " +
            "two codes a byte and searched by faiss's fast scan: 64 codes looked up at once in a byte table held in a register, with " +
            "the same hits as scoring every code (e.g. --pq 96 --pq-bits 4: the bytes of --pq 48, searched several times faster)",
            helpName: "B");
        Opq = !product ? null : CliOptions.Flag("--opq",
            "With --pq: train an OPQ rotation with the codebooks (faiss's OPQMatrix: the rows are turned by an orthonormal matrix " +
            $"so that their variance spreads evenly over the sub-vectors; {ProductQuantizerOptions.DefaultRotationRounds} rounds of " +
            "codebooks and rotation, slower to build; usually fewer lost hits at the same bytes)");
        OpqDim = !product ? null : CliOptions.Int("--opq-dim",
            "With --opq: the matrix maps the rows to D values, which the codes quantize (faiss's OPQ{M}_{D}, e.g. --pq 64 --opq --opq-dim 128 " +
            "is OPQ64_128,PQ64): fewer than the dimension projects the rows onto D trained directions first; M must divide D (default: the dimension)",
            helpName: "D");
        RescoreMultiplier = rescoring
            ? RescoreOption("With --precision or --pq: the top hits are rescored with the float query from the best k·N quantized ones (evaluate: the top 10 from 10·N; 0: keep the quantized scores)")
            : null;
        RescoreQuantized = rescoring
            ? CliOptions.Flag("--rescore-quantized", "With --precision (not --pq): rescore against the documents' quantized values (sentence-transformers' semantic_search_*), not their float embeddings (what a Skald index does); " +
                "a Euclidean or Manhattan model keeps the distance of its dequantized int8 / uint8 rows, and its binary bits, which hold no distance, are refused")
            : null;
    }

    /// <summary><c>--rescore-quantized</c> (null when the command does not search).</summary>
    public Option<bool>? RescoreQuantized { get; }

    /// <summary>A new <c>--rescore-multiplier N</c> option (an integer ≥ 0, default 2, sentence-transformers' default).</summary>
    public static Option<int?> RescoreOption(string description) =>
        CliOptions.Int("--rescore-multiplier", description, min: 0, defaultValue: 2);

    /// <summary><c>--precision</c>.</summary>
    public Option<string> Precision { get; }

    /// <summary><c>--pq M</c> (null when the command writes no index and searches none).</summary>
    public Option<int?>? Pq { get; }

    /// <summary><c>--pq-bits B</c> (null where <c>--pq</c> is not taken).</summary>
    public Option<int?>? PqBits { get; }

    /// <summary><c>--opq</c> (null where <c>--pq</c> is not taken).</summary>
    public Option<bool>? Opq { get; }

    /// <summary><c>--opq-dim D</c> (null where <c>--pq</c> is not taken).</summary>
    public Option<int?>? OpqDim { get; }

    /// <summary><c>--rescore-multiplier</c> (null when the command does not search).</summary>
    public Option<int?>? RescoreMultiplier { get; }

    /// <summary>The options to add to a command.</summary>
    public IEnumerable<Option> All => new Option?[] { Precision, Pq, PqBits, Opq, OpqDim, RescoreMultiplier, RescoreQuantized }.OfType<Option>();

    /// <summary>The chosen precision (float32 when not given, or float16: a late-interaction index's, <see cref="TokensOf"/>).</summary>
    public EmbeddingPrecision Of(ParseResult p) =>
        p.GetValue(Precision) is { } name and not "float16" ? EmbeddingQuantizer.Parse(name) : EmbeddingPrecision.Float32;

    /// <summary>
    /// The chosen precision of a late-interaction index's token vectors (float32 when not given); one a dense layout
    /// alone has (uint8, binary, ubinary) is a <see cref="UsageException"/> naming <paramref name="model"/>.
    /// </summary>
    public Skald.Retrieval.Index.TokenPrecision TokensOf(ParseResult p, string model) => p.GetValue(Precision) switch
    {
        null or "float32" => Skald.Retrieval.Index.TokenPrecision.Float32,
        "float16" => Skald.Retrieval.Index.TokenPrecision.Float16,
        "int8" => Skald.Retrieval.Index.TokenPrecision.Int8,
        var other => throw new UsageException($"--precision {other}: a late-interaction (ColBERT) index stores its token vectors as float32, float16 or int8; {model} is such a model"),
    };

    /// <summary>Whether <c>--precision float16</c> was given (a late-interaction index's format only).</summary>
    public bool IsFloat16(ParseResult p) => p.GetValue(Precision) == "float16";

    /// <summary>Product quantization settings, or null without <c>--pq</c> (with a <c>--precision</c> other than float32: a usage error).</summary>
    public ProductQuantizerOptions? Product(ParseResult p)
    {
        int? bits = PqBits is null ? null : p.GetValue(PqBits);
        bool opq = Opq is not null && p.GetValue(Opq);
        int? opqDim = OpqDim is null ? null : p.GetValue(OpqDim);
        if (Pq is null || p.GetValue(Pq) is not { } m)
            return bits is null && !opq && opqDim is null ? null
                : throw new UsageException($"{(bits is not null ? "--pq-bits" : opq ? "--opq" : "--opq-dim")} applies with --pq M");
        if (opqDim is not null && !opq) throw new UsageException($"--opq-dim {opqDim} applies with --opq (the width OPQ's matrix maps the rows to)");
        if (Of(p) != EmbeddingPrecision.Float32) throw new UsageException("--pq and --precision are two ways to compress the embeddings; choose one");
        if (bits is > 8) throw new UsageException($"--pq-bits {bits}: PQ codes take 1 to 8 bits");
        return new ProductQuantizerOptions
        {
            Subspaces = m, Bits = bits ?? 8, RotationRounds = opq ? ProductQuantizerOptions.DefaultRotationRounds : 0, RotationDimension = opqDim ?? 0,
        };
    }

    /// <summary>Quantized search settings, or null for float32 (a --rescore-multiplier without --precision or --pq is a usage error).</summary>
    public QuantizedSearchOptions? Search(ParseResult p)
    {
        var precision = Of(p);
        int multiplier = RescoreMultiplier is null ? 2 : p.GetValue(RescoreMultiplier) ?? 2;
        if (Product(p) is { } product)
        {
            if (RescoreQuantized is not null && p.GetValue(RescoreQuantized))
                throw new UsageException("--rescore-quantized applies with --precision; PQ codes' own scores are what --rescore-multiplier 0 keeps");
            return new QuantizedSearchOptions(EmbeddingPrecision.Float32, multiplier) { Product = product };
        }
        if (precision == EmbeddingPrecision.Float32)
        {
            if (RescoreMultiplier is not null && p.GetResult(RescoreMultiplier) is { Implicit: false })
                throw new UsageException("--rescore-multiplier applies with --precision int8|uint8|binary|ubinary or --pq only");
            if (RescoreQuantized is not null && p.GetValue(RescoreQuantized))
                throw new UsageException("--rescore-quantized applies with --precision int8|uint8|binary|ubinary only");
            return null;
        }
        return new QuantizedSearchOptions(precision, multiplier) { RescoreWithFloats = RescoreQuantized is null || !p.GetValue(RescoreQuantized) };
    }
}
