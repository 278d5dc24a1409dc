using Skald.Tensors;
using Skald.Tensors.Autograd;

namespace Skald.Models;

public sealed partial class SentenceEncoder
{
    /// <summary>
    /// Whether this is a packed-only model (<see cref="KeepPackedOnly"/>): its float32 Linear weights are held only in
    /// the GEMM's packed layout, read packed by <see cref="Encode(IReadOnlyList{string}, EncodeOptions?)"/>.
    /// </summary>
    public bool IsPackedOnly => inference.KeepPackedOnly || Parameters.Any(p => p.IsPackedOnly);

    /// <summary>
    /// Makes this an inference-only model that keeps each float32 Linear weight once, in the GEMM's packed layout:
    /// <see cref="PackWeights"/> on whatever the model's size (also above <see cref="PackWeightsLimitBytes"/>), and every
    /// float32 Linear weight the forward multiplies (found by encoding one text; weights first used later, such as a
    /// Router's query adapter, when first used) keeps only its packed form (<see cref="Parameter.ReleaseToPacked"/>),
    /// its float32 values dropped as soon as it is packed, so the model never holds both copies of all of them.
    /// Stacked projections (BERT's fused QKV, a decoder's gate+up) are released as their stacked whole. Embedding
    /// tables, norms, biases, 16-bit and int8 weights stay as they are, and so does a weight tied to an embedding table
    /// (<see cref="Parameter.Tied"/>). The embeddings are those of pre-packed float32 encoding bit for bit, at the
    /// memory of not pre-packing. Afterwards training, LoRA and merging adapters refuse with one message naming the
    /// weight (load the model again for those); saving (<c>ModelSaver</c>, which reads the values out of the panels),
    /// <see cref="KeepInt8Only"/>, <see cref="Quantization.Int8Checkpoint.Save(SentenceEncoder, string)"/> and <see cref="WithAttention"/> still
    /// work. Returns the float32 bytes released (0 when the GEMM backend takes no packed weights, e.g. OpenBLAS: then
    /// nothing changes but <see cref="PackWeights"/>).
    /// </summary>
    public long KeepPackedOnly() => InferenceWeights.KeepPackedOnly(inference, gate, Parameters, () => Encode(["pakking"]));

}
