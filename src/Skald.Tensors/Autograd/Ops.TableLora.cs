using Skald.Tensors.Gemm;

namespace Skald.Tensors.Autograd;

public static partial class Ops
{
    /// <summary>
    /// peft's Embedding LoRA where a table's rows are gathered: rows[i] += scale·B·A[:, ids[i]] ([n, C]; A [r, V],
    /// B [C, r]), as u = A[:, ids]ᵀ [n, r] then one GEMM. Returns u for the backward (arena memory of the tape).
    /// </summary>
    private static Memory<float> AddTableLowRank(Tape tape, int[] ids, LoraAdapter lora, Span<float> rows)
    {
        int n = ids.Length, r = lora.Rank, v = lora.A.Shape[1], c = lora.B.Shape[0];
        var u = tape.Save(n * r);
        var a = lora.A.Data.Span;
        var us = u.Span;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < r; j++) us[i * r + j] = a[j * v + ids[i]];
        }
        Blas.Sgemm(false, true, n, c, r, lora.Scale, us, r, lora.B.Data.Span, r, 1f, rows, c);
        return u;
    }

    // dB += scale·dyᵀ·u ([C, r]);  du = scale·dy·B ([n, r]);  dA[:, ids[i]] += du[i] (rows gathered twice add up).
    private static void BackwardTableLowRank(Tape tape, int[] ids, LoraAdapter lora, Memory<float> u, ReadOnlySpan<float> dy)
    {
        int n = ids.Length, r = lora.Rank, v = lora.A.Shape[1], c = lora.B.Shape[0];
        if (lora.B.RequiresGrad) Blas.Sgemm(true, false, c, r, n, lora.Scale, dy, c, u.Span, r, 1f, lora.B.Grad.Span, r);
        if (!lora.A.RequiresGrad) return;
        var du = tape.Rent(n * r);
        Blas.Sgemm(false, false, n, r, c, lora.Scale, dy, c, lora.B.Data.Span, r, 0f, du, r);
        var da = lora.A.Grad.Span;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < r; j++) da[j * v + ids[i]] += du[i * r + j];
        }
        tape.Return(du);
    }
}
