using Skald.Tensors.Autograd;
using Skald.Tensors.Quantization;

namespace Skald.Models;

public sealed partial class SentenceEncoder
{
    /// <summary>
    /// Whether <see cref="Encode(IReadOnlyList{string}, EncodeOptions?)"/> multiplies the Linear layers in bfloat16
    /// (<see cref="Bf16Gemm"/>: weights and activations rounded to bfloat16, products summed in float32 by
    /// <c>vdpbf16ps</c>, as <c>torch.autocast("cpu", torch.bfloat16)</c> computes a Linear; embeddings, norms and
    /// attention stay float32), on every architecture (stacked and fused projections included). Approximate (cosine
    /// ≥ 0.999 to float32 on the test fixtures); float32 on a CPU without AVX512-BF16 (<see cref="Bf16Gemm.IsSupported"/>
    /// false); int8-only weights stay int8. Setting it keeps the bfloat16 panels beside the model's own weights (both
    /// engines on one model, for comparisons); <see cref="KeepBf16Only"/> is the inference-only bfloat16 model that holds
    /// the panels alone. Inference only. Setting it false on a bf16-only model throws.
    /// </summary>
    public bool ComputeBf16
    {
        get => inference.Bf16Linear;
        set
        {
            if (!value && IsBf16Only)
                throw new InvalidOperationException(
                    $"{Folder.Path}: this model holds its Linear weights in bfloat16 panels only (KeepBf16Only, --quantize bf16): " +
                    "float32 inference needs the model loaded again without it");
            inference.Bf16Linear = value;
        }
    }

    /// <summary>Whether any weight of this model holds only its bfloat16 panels (<see cref="KeepBf16Only"/>): it then encodes in bfloat16 for good.</summary>
    public bool IsBf16Only => inference.KeepBf16Only || Parameters.Any(p => p.IsBf16Only);

    /// <summary>
    /// Makes this an inference-only bfloat16 model: <see cref="ComputeBf16"/> on, and every Linear weight the forward
    /// multiplies (found by encoding one text; weights first used later, such as a Router's other route, when first used)
    /// keeps only its bfloat16 GEMM panels (<see cref="Parameter.ReleaseToBf16"/>), its values (float32, or the 16-bit
    /// ones of <c>--weights bf16|f16</c>) dropped as soon as its panels are made, so the model never holds both copies
    /// of more than one weight: the Linear weights take half of float32's memory. Stacked projections are released as
    /// their stacked whole; embedding tables, norms and biases stay as they are, and so do weights that cannot be
    /// released (tied to a float32 table, with a LoRA adapter, int8-only), which are multiplied in bfloat16 beside their
    /// values. The embeddings are those of <see cref="ComputeBf16"/> bit for bit. Afterwards training, merging adapters,
    /// saving and float32 inference refuse with one message naming the weight (load the model again for those). Returns
    /// the bytes of the values released; 0 on a CPU without AVX512-BF16 (the model stays as it was).
    /// </summary>
    public long KeepBf16Only()
    {
        ThrowIfDisposed();
        return InferenceWeights.KeepBf16Only(inference, gate, Parameters, () => Encode(["bfloat16"]));
    }
}
