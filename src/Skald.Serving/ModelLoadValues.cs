using System.Globalization;
using Skald.Models;
using Skald.Tensors;
using Skald.Tensors.Quantization;

namespace Skald.Serving;

/// <summary>
/// The values of the load settings <c>skald serve</c>'s options and
/// <see cref="SkaldServiceCollectionExtensions.AddSkaldEmbeddingGenerator"/>'s keys share, read in one place:
/// <c>--weights</c> / <c>Precision</c>, <c>--quantize</c> / <c>Quantize</c>, <c>--adapters</c> / <c>Adapters</c> and
/// <c>SKALD_THREADS</c> / <c>Threads</c>. Each reader returns null for a value it does not take; the caller names
/// the option or key in its one-line error.
/// </summary>
public static class ModelLoadValues
{
    /// <summary>What <see cref="Precision"/> takes, for an error line.</summary>
    public const string PrecisionNames = "f32, bf16 or f16 (Float32, BFloat16, Float16)";

    /// <summary>What <see cref="Quantization"/> takes, for an error line.</summary>
    public const string QuantizationNames = "int8 or bf16";

    /// <summary>
    /// How the weight matrices are held: <c>f32</c>, <c>bf16</c>, <c>f16</c> (<c>--weights</c>' names) or
    /// <see cref="WeightPrecision"/>'s own names, in any case; null for anything else.
    /// </summary>
    public static WeightPrecision? Precision(string value) => value.Trim().ToLowerInvariant() switch
    {
        "f32" or "float32" => WeightPrecision.Float32,
        "bf16" or "bfloat16" => WeightPrecision.BFloat16,
        "f16" or "float16" => WeightPrecision.Float16,
        _ => null,
    };

    /// <summary><c>int8</c> or <c>bf16</c> (<c>--quantize</c>'s values), in any case; null for anything else.</summary>
    public static ModelQuantization? Quantization(string value) => value.Trim().ToLowerInvariant() switch
    {
        "int8" => ModelQuantization.Int8,
        "bf16" => ModelQuantization.Bf16,
        _ => null,
    };

    /// <summary>The adapter folders (or hub ids) of a comma-separated list, in order, blanks dropped.</summary>
    public static string[] Adapters(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>A thread count (<see cref="Skald.Tensors.Parallelism.MaxThreads"/>): a whole number above 0, digits only; else null.</summary>
    public static int? Threads(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : null;

    /// <summary>
    /// Readies <paramref name="encoder"/> for inference as <paramref name="quantization"/> says: int8
    /// (<see cref="SentenceEncoder.KeepInt8Only"/>), bf16 (<see cref="SentenceEncoder.KeepBf16Only"/>), else float32
    /// packed once (<see cref="SentenceEncoder.KeepPackedOnly"/>; a folder saved int8 stays so). A CPU without the
    /// kernels gets float32 and one <paramref name="notice"/> line starting with the value (<c>int8: ...</c>), as
    /// does int8 over 16-bit weights (<paramref name="precisionName"/>: the option or key that made them), which stay
    /// 16-bit. Returns the encoder.
    /// </summary>
    public static SentenceEncoder Apply(SentenceEncoder encoder, ModelQuantization quantization, Action<string> notice, string precisionName = "--weights")
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(notice);
        switch (quantization)
        {
            case ModelQuantization.Bf16 when Bf16Gemm.IsSupported:
                encoder.KeepBf16Only(); // the Linear weights held as bfloat16 panels alone
                break;
            case ModelQuantization.Bf16:
                notice("bf16: this CPU has no AVX512-BF16; encoding in float32");
                encoder.KeepPackedOnly();
                break;
            case ModelQuantization.Int8 when Int8Gemm.Best is null:
                notice("int8: this CPU has neither AVX-VNNI nor AVX2; encoding in float32");
                encoder.KeepPackedOnly();
                break;
            case ModelQuantization.Int8:
                if (Int8Gemm.AmxNotice is { } amx) notice(amx); // AMX on the CPU but not usable: the VNNI kernel runs
                encoder.KeepInt8Only(); // the float32 Linear weights are dropped once quantised
                if (encoder.Transformer.Parameters.Any(w => w.Precision != WeightPrecision.Float32))
                    notice($"int8: the 16-bit weights ({precisionName} bf16/f16) stay 16-bit; only float32 weights are multiplied in int8");
                break;
            default:
                if (!encoder.IsInt8Only) encoder.KeepPackedOnly(); // each float32 Linear weight kept packed, once
                break;
        }
        return encoder;
    }
}
