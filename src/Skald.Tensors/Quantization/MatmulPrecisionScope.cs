namespace Skald.Tensors.Quantization;

/// <summary>
/// This thread's float32 matmul precision for the products an op runs (<see cref="SixTermGemm.High"/>), from the tape's
/// <see cref="Autograd.Tape.Float32Matmul"/> until disposed (<c>using var precision = new MatmulPrecisionScope(tape);</c>):
/// the inference ops that multiply packed weights open one, so a tape's setting reaches the product however the op
/// routes it (<see cref="Gemm.ManagedGemm"/>'s fused product, <see cref="SixTermGemm.RunChain"/>). Allocates nothing.
/// </summary>
internal readonly ref struct MatmulPrecisionScope
{
    private readonly int was;

    /// <summary>Sets this thread's precision as <paramref name="tape"/> asks.</summary>
    public MatmulPrecisionScope(Autograd.Tape tape) => was = SixTermGemm.EnterHigh(Asks(tape));

    /// <summary>
    /// Whether a pass on <paramref name="tape"/> runs its products at <see cref="Float32MatmulPrecision.High"/>: the tape
    /// asks for it, or SKALD_AMX_FP32=high does for the process (<see cref="SixTermGemm.HighByProcess"/>). What its
    /// weights are packed for (<see cref="Autograd.Parameter"/>'s PackedForLinear: the two pieces "high" reads).
    /// </summary>
    public static bool Asks(Autograd.Tape tape) => tape.Float32Matmul == Float32MatmulPrecision.High || SixTermGemm.HighByProcess;

    /// <summary>Puts back the precision this scope replaced.</summary>
    public void Dispose() => SixTermGemm.RestoreHigh(was);
}
