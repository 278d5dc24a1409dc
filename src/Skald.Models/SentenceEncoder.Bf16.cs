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
    /// false); int8-only weights stay int8. The bfloat16 panels are made on first use and held beside the model's own
    /// weights (load with bfloat16 weights, <c>--weights bf16</c>, to hold no float32 copy of them). Inference only.
    /// </summary>
    public bool ComputeBf16
    {
        get => inference.Bf16Linear;
        set => inference.Bf16Linear = value;
    }
}
