using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tensors.Quantization;

namespace Skald.Models;

public sealed partial class SentenceEncoder
{
    /// <summary>
    /// Whether <see cref="Encode(IReadOnlyList{string}, EncodeOptions?)"/> multiplies the Linear layers in int8
    /// (<see cref="Int8Gemm"/>: per-row int8 weights, activations quantised per token; embeddings, norms and attention
    /// stay float32), on every architecture (stacked and fused projections included); 16-bit weights
    /// (<see cref="WeightPrecision.BFloat16"/>, <see cref="WeightPrecision.Float16"/>) stay 16-bit. Approximate
    /// (cosine ≥ 0.99 to float32); float32 on a CPU without AVX2 or AVX-VNNI (<see cref="Int8Gemm.Best"/> null).
    /// Setting it keeps the float32 weights beside their int8 forms (both engines on one model, for comparisons);
    /// <see cref="KeepInt8Only"/> is the inference-only int8 model that holds the int8 forms alone. On for a folder saved
    /// by <see cref="Quantization.Int8Checkpoint.Save(SentenceEncoder, string)"/>. Setting it false on an int8-only model throws.
    /// </summary>
    public bool QuantizeInt8
    {
        get => inference.QuantizeLinear;
        set
        {
            if (!value && IsInt8Only)
                throw new InvalidOperationException(
                    $"{Folder.Path}: this model holds its Linear weights in int8 only (KeepInt8Only, --quantize int8 or a folder " +
                    "saved by `skald quantize`): float32 inference needs the model loaded again without int8");
            inference.QuantizeLinear = value;
        }
    }

    /// <summary>
    /// Whether any weight of this model holds its int8 form only (<see cref="KeepInt8Only"/>, or a folder saved by
    /// <see cref="Quantization.Int8Checkpoint.Save(SentenceEncoder, string)"/>): then it encodes in int8 and cannot go back to float32.
    /// </summary>
    public bool IsInt8Only => inference.KeepInt8Only || Parameters.Any(p => p.IsInt8Only);

    /// <summary>
    /// Makes this an inference-only int8 model: <see cref="QuantizeInt8"/> on, and every float32 Linear weight the
    /// forward multiplies (found by encoding one text) keeps only its int8 form (<see cref="Parameter.ReleaseFloat32"/>),
    /// each one's float32 values dropped as soon as its form is made, so the model never holds both copies of all of
    /// them. Embedding tables, norms, biases and 16-bit weights stay as they are. The embeddings are those of
    /// <see cref="QuantizeInt8"/> bit for bit. Afterwards training the weights, merging adapters and saving float32
    /// weights refuse with one message (load the model again for those), while LoRA adapters train on the int8 base
    /// (a recording pass multiplies it dequantised: <c>model.weights: int8</c>); <see cref="Quantization.Int8Checkpoint.Save(SentenceEncoder, string)"/> and
    /// <see cref="WithAttention"/> still work. Returns the float32 bytes released; 0 on a CPU without int8 kernels
    /// (<see cref="Int8Gemm.Best"/> null: the model stays float32).
    /// </summary>
    public long KeepInt8Only() => InferenceWeights.KeepInt8Only(inference, gate, Parameters, () => Encode(["kvantisering"]));

    /// <summary>Turns int8 inference on, releasing each float32 Linear weight the forward quantises (a saved int8 folder).</summary>
    internal void MarkInt8Only()
    {
        using (gate.Enter())
        {
            inference.QuantizeLinear = true;
            inference.KeepInt8Only = Int8Gemm.Best is not null;
        }
    }
}
