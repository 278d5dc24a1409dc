using System.CommandLine;
using Skald.Cli.Output;
using Skald.Models;
using Skald.Models.BgeM3;
using Skald.Models.CrossEncoders;
using Skald.Models.LateInteraction;
using Skald.Tensors;

namespace Skald.Cli.CommandLine;

/// <summary>
/// The one <c>--float32-matmul</c> option of the commands that run a local model's float32 products (encode, index
/// build / add / reindex, search, evaluate, serve, rerank, classify, data mine-negatives), and its one way onto each kind
/// of model: a command applies it before <see cref="QuantizeOption"/>, so a packed-only model packs its weights for the
/// precision it will run at ("high": the two bfloat16 pieces it reads, 4 bytes a weight).
/// </summary>
internal static class Float32MatmulOption
{
    /// <summary>A new <c>--float32-matmul highest|high</c> option (default highest).</summary>
    public static Option<string> Create() => CliOptions.Choice("--float32-matmul",
        "How float32 Linear products are formed on CPUs with AMX-BF16 (Intel Sapphire Rapids and later), as " +
        "torch.set_float32_matmul_precision: highest (float32 accuracy, the default) or high (each float32 as the sum of " +
        "two bfloat16s: faster, each product within about 5e-5 relative, embeddings within cosine 0.99999). Elsewhere " +
        "products stay float32 (a notice says so); no effect with --quantize int8|bf16. SKALD_AMX_FP32=high sets high " +
        "for the process", "highest", "highest", "high");

    /// <summary>The precision <paramref name="value"/> names; a one-line notice when high changes nothing on this CPU.</summary>
    public static Float32MatmulPrecision Parse(string? value, bool quiet)
    {
        if (value != "high") return Float32MatmulPrecision.Highest;
        if (!Float32Matmul.HighRuns)
            Terminal.Log("--float32-matmul high: this CPU has no usable AMX-BF16; products stay float32", quiet);
        return Float32MatmulPrecision.High;
    }

    /// <summary>Sets <paramref name="encoder"/>'s precision as <paramref name="value"/> asks (<see cref="Parse"/>); returns it.</summary>
    public static SentenceEncoder Apply(SentenceEncoder encoder, string? value, bool quiet)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        encoder.Float32MatmulPrecision = Parse(value, quiet);
        return encoder;
    }

    /// <summary>As <see cref="Apply(SentenceEncoder, string?, bool)"/> for a cross-encoder (a reranker).</summary>
    public static CrossEncoder Apply(CrossEncoder model, string? value, bool quiet)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.Float32MatmulPrecision = Parse(value, quiet);
        return model;
    }

    /// <summary>As <see cref="Apply(SentenceEncoder, string?, bool)"/> for a late-interaction (ColBERT) encoder.</summary>
    public static ColbertEncoder Apply(ColbertEncoder model, string? value, bool quiet)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.Float32MatmulPrecision = Parse(value, quiet);
        return model;
    }

    /// <summary>As <see cref="Apply(SentenceEncoder, string?, bool)"/> for a token-vector encoder (a ColBERT one; any other has no such setting).</summary>
    public static void Apply(IMultiVectorEncoder model, string? value, bool quiet)
    {
        if (model is ColbertEncoder colbert) Apply(colbert, value, quiet);
    }

    /// <summary>As <see cref="Apply(SentenceEncoder, string?, bool)"/> for BGE-M3 (its dense model's transformer, which its other outputs share).</summary>
    public static BgeM3Encoder Apply(BgeM3Encoder model, string? value, bool quiet)
    {
        ArgumentNullException.ThrowIfNull(model);
        Apply(model.DenseModel, value, quiet);
        return model;
    }
}
