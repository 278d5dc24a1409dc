namespace Skald.Tensors.Quantization;

/// <summary>
/// What a quantised product followed by a residual add and LayerNorm needs beside y (<see cref="Int8Gemm"/>,
/// <see cref="Bf16Gemm"/>): pointers into the caller's pinned residual [m, n], gamma and beta [n] (beta may be null),
/// and mean and rstd [m] as <see cref="Kernels.LayerNorm.Forward"/> keeps them. Lives on the caller's stack for the
/// product; the GEMM normalises finished rows in place with <see cref="Normalize"/>.
/// </summary>
internal unsafe struct RowNorm
{
    public float* Residual, Gamma, Beta, Mean, Rstd;
    public float Eps;

    /// <summary>
    /// Rows [r0, r1) of y [·, n]: y += residual, then LayerNorm in place (the kernel the unfused add + LayerNorm runs,
    /// so the same bytes).
    /// </summary>
    public static void Normalize(RowNorm* c, float* y, int n, int r0, int r1) =>
        Kernels.LayerNorm.AddForwardRowsInPlace(y, c->Residual, c->Gamma, c->Beta, c->Mean, c->Rstd, r0, r1, n, c->Eps);
}
