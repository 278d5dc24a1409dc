using System.Numerics.Tensors;
using Skald.Tensors.Gemm;

namespace Skald.Tensors.Autograd;

public static partial class Ops
{
    /// <summary>
    /// What a table adapter's backward needs: u = A[:, ids]ᵀ [n, r] and, with DoRA, s = m/ν [C], 1/ν [C] and
    /// v = W[ids] + scale·u·Bᵀ [n, C] (the adapted rows before the magnitude).
    /// </summary>
    private sealed record TableTerm(Memory<float> U, Memory<float> S = default, Memory<float> InverseNorm = default, Memory<float> V = default);

    /// <summary>
    /// peft's Embedding LoRA where a table's rows are gathered: rows[i] += scale·B·A[:, ids[i]] ([n, C]; A [r, V],
    /// B [C, r]), as u = A[:, ids]ᵀ [n, r] then one GEMM. With DoRA (<see cref="LoraAdapter.Magnitude"/>, peft's
    /// <c>DoraEmbeddingVariant.forward</c>: result = (m/ν)⊙result + (m/ν)⊙scale·u·Bᵀ) the table's own rows, already in
    /// <paramref name="rows"/>, are replaced by s⊙v with s = m/ν and v = W[ids] + scale·u·Bᵀ; ν, the adapted table's
    /// column norms, gets no gradient. Returns what the backward needs (arena memory of the tape).
    /// </summary>
    private static TableTerm AddTableLowRank(Tape tape, int[] ids, LoraAdapter lora, Parameter table, Span<float> rows)
    {
        int n = ids.Length, r = lora.Rank, v = lora.A.Shape[1], c = lora.B.Shape[0];
        var u = tape.Save(n * r);
        var a = lora.A.Data.Span;
        var us = u.Span;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < r; j++) us[i * r + j] = a[j * v + ids[i]];
        }
        if (lora.Magnitude is null)
        {
            Blas.Sgemm(false, true, n, c, r, lora.Scale, us, r, lora.B.Data.Span, r, 1f, rows, c);
            return new TableTerm(u);
        }
        if (tape.Recording && table.RequiresGrad)
            throw new InvalidOperationException($"{table.Name}: a DoRA adapter trains on a frozen table (freeze the base, as LoRA training does)");
        var s = tape.Save(c);
        var inverseNorm = tape.Save(c);
        lora.MagnitudeScales(table, s.Span, inverseNorm.Span); // m/ν and 1/ν, ν the column norms [C]
        var saved = tape.Save(n * c); // v = W[ids] + scale·u·Bᵀ
        var vs = saved.Span;
        for (int i = 0; i < n; i++) TableRow(table, ids[i], vs.Slice(i * c, c));
        var l = tape.Rent(n * c);
        Blas.Sgemm(false, true, n, c, r, lora.Scale, us, r, lora.B.Data.Span, r, 0f, l, c);
        for (int i = 0; i < n; i++)
        {
            var row = rows.Slice(i * c, c);
            var vRow = vs.Slice(i * c, c);
            TensorPrimitives.Subtract(row, vRow, row);                      // the table's own W[id] out
            TensorPrimitives.Add(vRow, l.AsSpan(i * c, c), vRow);            // v = W[id] + scale·B·A[:, id]
            TensorPrimitives.MultiplyAdd(vRow, s.Span, row, row);           // + s⊙v
        }
        tape.Return(l);
        return new TableTerm(u, s, inverseNorm, saved);
    }

    // dB += scale·gᵀ·u ([C, r]);  du = scale·g·B ([n, r]);  dA[:, ids[i]] += du[i] (rows gathered twice add up); g = dy,
    // or with DoRA g = s⊙dy and dm += Σᵢ dyᵢ⊙vᵢ / ν (the table itself is frozen).
    private static void BackwardTableLowRank(Tape tape, int[] ids, LoraAdapter lora, TableTerm term, ReadOnlySpan<float> dy)
    {
        int n = ids.Length, r = lora.Rank, v = lora.A.Shape[1], c = lora.B.Shape[0];
        float[]? scaled = null;
        if (lora.Magnitude is { } magnitude)
        {
            if (magnitude.RequiresGrad)
            {
                var sum = tape.Rent(c);
                Array.Clear(sum, 0, c);
                for (int i = 0; i < n; i++)
                    TensorPrimitives.MultiplyAdd(dy.Slice(i * c, c), term.V.Span.Slice(i * c, c), sum.AsSpan(0, c), sum.AsSpan(0, c));
                var dm = magnitude.Grad.Span;
                TensorPrimitives.MultiplyAdd(sum.AsSpan(0, c), term.InverseNorm.Span, dm, dm);
                tape.Return(sum);
            }
            scaled = tape.Rent(n * c);
            for (int i = 0; i < n; i++) TensorPrimitives.Multiply(dy.Slice(i * c, c), term.S.Span, scaled.AsSpan(i * c, c));
        }
        ReadOnlySpan<float> g = scaled is null ? dy : scaled.AsSpan(0, n * c);
        if (lora.B.RequiresGrad) Blas.Sgemm(true, false, c, r, n, lora.Scale, g, c, term.U.Span, r, 1f, lora.B.Grad.Span, r);
        if (lora.A.RequiresGrad)
        {
            var du = tape.Rent(n * r);
            Blas.Sgemm(false, false, n, r, c, lora.Scale, g, c, lora.B.Data.Span, r, 0f, du, r);
            var da = lora.A.Grad.Span;
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < r; j++) da[j * v + ids[i]] += du[i * r + j];
            }
            tape.Return(du);
        }
        if (scaled is not null) tape.Return(scaled);
    }
}
