namespace Skald.Tensors.Autograd;

/// <summary>The settings of a pass that does not record: how Linear weights are multiplied and attention computed.</summary>
public sealed partial class Tape
{
    /// <summary>
    /// Whether a pass that does not record multiplies by pre-packed copies of float32 Linear weights (made on first
    /// use, one float32 copy of each weight, dropped when the values may change; see <c>Parameter.PackedForLinear</c>):
    /// no per-call packing of the weight, same results bit for bit. Off by default; an encoder's inference tape turns it
    /// on. Ignored while <see cref="Recording"/>.
    /// </summary>
    public bool PackWeights { get; set; }

    /// <summary>
    /// With <see cref="PackWeights"/>, whether each float32 Linear weight this tape packs then keeps only its packed
    /// form (<see cref="Parameter.ReleaseToPacked"/>: the float32 values dropped; packed-only inference, the same bits).
    /// Weights that cannot be released (parts of a stack, <see cref="Parameter.Tied"/> ones, ones with LoRA) stay as
    /// they are. Packed-only weights (<see cref="Parameter.IsPackedOnly"/>) are read packed on any tape that does not
    /// record, with or without these flags.
    /// </summary>
    public bool KeepPackedOnly { get; set; }

    /// <summary>
    /// With <see cref="PackWeights"/>, on CPUs where float32 products run as AMX bfloat16 tiles (six terms from three
    /// bfloat16 pieces of each operand, the float32 FMA kernels' accuracy), whether each weight this tape packs holds
    /// its three pieces (6 bytes a weight: faster, most for few rows, such as one short text) instead of splitting them
    /// from its float32 panels in every product (4 bytes a weight). The same bits either way; no effect on other CPUs.
    /// Encoders turn it on when their float32 weights are at most <c>SentenceEncoder.PackWeightsLimitBytes</c>.
    /// SKALD_AMX_FP32=pieces or =split overrides it for the process.
    /// </summary>
    public bool HoldWeightPieces { get; set; }

    /// <summary>
    /// On CPUs where float32 products run as AMX bfloat16 tiles, how a pass that does not record forms its packed float32
    /// Linear products (<see cref="PackWeights"/> or packed-only weights): <see cref="Float32MatmulPrecision.Highest"/>
    /// (the default: six terms, float32 accuracy) or <see cref="Float32MatmulPrecision.High"/> (three terms from two
    /// bfloat16 pieces a side, as <c>torch.set_float32_matmul_precision("high")</c> allows: faster, each product within
    /// about 3·2^-16; <see cref="Quantization.HighTileAmx"/>). No effect on other CPUs, on recording passes or on
    /// bfloat16-exact weights (already exact). SKALD_AMX_FP32=high sets High for the process. Set it before the weights
    /// are packed: at High a weight that holds its pieces (<see cref="HoldWeightPieces"/>) holds the two High reads, 4
    /// bytes a weight, and then runs at High on any tape; with <see cref="KeepPackedOnly"/> its values read back are
    /// those two pieces' sum.
    /// </summary>
    public Float32MatmulPrecision Float32Matmul { get; set; }

    /// <summary>
    /// Whether a pass that does not record multiplies float32 Linear weights in int8 (per-row int8 weights kept beside
    /// each parameter, activations quantised per row on the fly; <see cref="Quantization.Int8Gemm"/>). Approximate;
    /// falls back to float32 on a CPU without AVX2 or AVX-VNNI. Off by default; ignored while <see cref="Recording"/>.
    /// </summary>
    public bool QuantizeLinear { get; set; }

    /// <summary>
    /// Whether a pass that does not record multiplies Linear weights in bfloat16 (<see cref="Quantization.Bf16Gemm"/>:
    /// bfloat16 weight panels kept beside each parameter, activations rounded to bfloat16 per call, float32 sums; what
    /// <c>torch.autocast("cpu", torch.bfloat16)</c> does to a Linear). Approximate; float32 on a CPU without AVX512-BF16;
    /// int8-only weights stay int8. Off by default; ignored while <see cref="Recording"/> (training never runs in it).
    /// </summary>
    public bool Bf16Linear { get; set; }

    /// <summary>
    /// With <see cref="Bf16Linear"/>, whether each Linear weight this tape multiplies in bfloat16 then keeps only its
    /// bfloat16 panels (<see cref="Parameter.ReleaseToBf16"/>: its float32 or 16-bit values dropped; an inference-only
    /// bfloat16 model, the same results). Weights that cannot be released (parts of a stack, <see cref="Parameter.Tied"/>
    /// ones, ones with LoRA, file-backed tables) keep their values beside. Bf16-only weights (<see cref="Parameter.IsBf16Only"/>)
    /// are multiplied in bfloat16 on any tape that does not record, with or without these flags.
    /// </summary>
    public bool KeepBf16Only { get; set; }

    /// <summary>
    /// With <see cref="QuantizeLinear"/>, whether each float32 Linear weight this tape quantises then keeps only its
    /// int8 form (<see cref="Parameter.ReleaseFloat32"/>: the float32 values dropped; an inference-only int8 model).
    /// Weights that are already int8-only (<see cref="Parameter.IsInt8Only"/>) are multiplied in int8 on any tape that
    /// does not record, with or without these flags.
    /// </summary>
    public bool KeepInt8Only { get; set; }

    /// <summary>
    /// Float32 and 16-bit Linear products x[m, k]·Wᵀ of up to this many rows go through the few-row GEMM
    /// (<see cref="Gemm.Blas"/>'s dot-product path, which sums each row in the same order whatever m is) rather than
    /// the packed one, which takes more than 16 rows by default; 0 (or up to 16): the default. A generator sets it to
    /// its batch's rows, so that a row's decoding steps give the same bits however many of its batch mates are still
    /// running. Larger values trade speed above 32 rows or so for that. Any tape.
    /// </summary>
    public int FewRowLinear { get; set; }

    /// <summary>
    /// Whether a pass that does not record computes attention without dropout through
    /// <see cref="Kernels.Attention.ForwardInference"/> (no probabilities kept, no packing of the per-head products):
    /// faster, but its sums run in another order, so outputs differ from a recording pass's in the last bits. Off by
    /// default (GradCache's unrecorded first pass and checkpointed layers must match the recording pass bit for bit);
    /// an encoder's inference tape turns it on. Ignored while <see cref="Recording"/>.
    /// </summary>
    public bool DirectAttention { get; set; }
}
