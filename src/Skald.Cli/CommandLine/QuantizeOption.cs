using System.CommandLine;
using Skald.Cli.Output;
using Skald.Models;
using Skald.Serving;
using Skald.Tensors.Quantization;

namespace Skald.Cli.CommandLine;

/// <summary>The one <c>--quantize</c> load option of the commands that encode with a local model.</summary>
internal static class QuantizeOption
{
    /// <summary>A new <c>--quantize int8|bf16</c> option.</summary>
    public static Option<string> Create() => CliOptions.OptionalChoice("--quantize",
        "int8: multiply the Linear layers with int8 weights (one scale per output row) and activations quantised per token " +
        "(embeddings, norms and attention stay float32; AMX, AVX512-VNNI, AVX-512BW, AVX-VNNI or AVX2, else float32 with a notice); the float32 copies of " +
        "those weights are dropped, so the model takes less memory. A folder saved by " +
        "`skald quantize` is int8 without it. Without it the float32 Linear weights are held once, in the GEMM's packed " +
        "layout (the same embeddings bit for bit). bf16: multiply the Linear layers in bfloat16 (weights and activations " +
        "rounded to bfloat16, sums in float32, like torch.autocast on CPU; cosine to float32 about 0.9999) with vdpbf16ps " +
        "on CPUs with AVX512-BF16 (AMD Zen 4+, Intel Sapphire Rapids+; AMX tdpbf16ps tiles where the CPU has AMX-BF16), else float32 with a notice; the model then " +
        "holds its Linear weights in bfloat16 only (half of float32's memory)", "int8", "bf16");

    /// <summary>
    /// Makes <paramref name="encoder"/> an inference-only int8 model when asked (<see cref="SentenceEncoder.KeepInt8Only"/>;
    /// a one-line notice when this CPU cannot), a bf16-only one for bf16 (<see cref="SentenceEncoder.KeepBf16Only"/>; the
    /// same notice and packed-only float32 without AVX512-BF16), else a packed-only one (<see cref="SentenceEncoder.KeepPackedOnly"/>: the
    /// float32 Linear weights held once, in the GEMM's packed layout; the same embeddings bit for bit): the commands
    /// that take this option only encode. Returns it.
    /// </summary>
    public static SentenceEncoder Apply(SentenceEncoder encoder, string? value, bool quiet) =>
        ModelLoadValues.Apply(encoder, value is null ? ModelQuantization.None : ModelLoadValues.Quantization(value) ?? ModelQuantization.None,
            notice => Terminal.Log("--quantize " + notice, quiet)); // one reader of the value, shared with AddSkaldEmbeddingGenerator's Quantize

    /// <summary>
    /// <c>skald generate --quantize int8</c>: the generator's Linear weights and LM head in int8
    /// (<see cref="Skald.Models.Generation.TextGenerator.KeepInt8Only"/>); <c>bf16</c>: in bfloat16 only
    /// (<see cref="Skald.Models.Generation.TextGenerator.KeepBf16Only"/>); or a one-line notice and float32 on a CPU
    /// without the kernels; without the option nothing changes.
    /// </summary>
    public static void Apply(Skald.Models.Generation.TextGenerator generator, string? value, bool quiet)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (value == "bf16")
        {
            if (Bf16(quiet, "generating")) generator.KeepBf16Only();
            return;
        }
        if (value != "int8") return;
        if (Int8Gemm.Best is null) Terminal.Log("--quantize int8: this CPU has neither AVX-VNNI nor AVX2; generating in float32", quiet);
        else
        {
            AmxNotice(quiet);
            generator.KeepInt8Only();
        }
    }

    /// <summary>As <see cref="Apply(SentenceEncoder, string?, bool)"/> for a cross-encoder (a reranker).</summary>
    public static Skald.Models.CrossEncoders.CrossEncoder Apply(Skald.Models.CrossEncoders.CrossEncoder model, string? value, bool quiet)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (value == "bf16" && Bf16(quiet, "scoring")) model.KeepBf16Only();
        else if (value != "int8") model.KeepPackedOnly();
        else if (Int8Gemm.Best is null)
        {
            Terminal.Log("--quantize int8: this CPU has neither AVX-VNNI nor AVX2; scoring in float32", quiet);
            model.KeepPackedOnly();
        }
        else
        {
            AmxNotice(quiet);
            model.KeepInt8Only();
        }
        return model;
    }

    // The one line for a CPU with AMX that the process cannot use (Int8Gemm.AmxNotice): int8 runs the VNNI kernel.
    private static void AmxNotice(bool quiet)
    {
        if (Int8Gemm.AmxNotice is { } amx) Terminal.Log("--quantize " + amx, quiet);
    }

    /// <summary>Whether <c>--quantize bf16</c> runs here; else one notice line (float32 is used instead).</summary>
    private static bool Bf16(bool quiet, string doing)
    {
        if (Bf16Gemm.IsSupported) return true;
        Terminal.Log($"--quantize bf16: this CPU has no AVX512-BF16; {doing} in float32", quiet);
        return false;
    }
}
