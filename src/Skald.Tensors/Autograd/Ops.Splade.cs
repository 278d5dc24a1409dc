using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Skald.Tensors.Gemm;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Autograd;

public static partial class Ops
{
    /// <summary>Token rows whose logits exist at once in <see cref="SpladePooling"/> ([rows, V] per chunk).</summary>
    public const int SpladeChunkRows = 64;

    /// <summary>
    /// SPLADE: the masked-LM logits of <paramref name="hidden"/>'s rows (z = h·Wᵀ + b through <paramref name="decoder"/>
    /// [V, C] and <paramref name="bias"/> [V], computed <see cref="SpladeChunkRows"/> rows at a time so [rows, V] never
    /// exists whole) activated and pooled per text (<see cref="Kernels.SpladePooling"/>): y [batch, V]. hidden [m, C] holds
    /// real tokens only; row r belongs to text <paramref name="owner"/>[r]. The decoder is read in any form a Linear
    /// takes (float32, 16-bit, int8-only). Backward: max sends dy·f'(z) to the one row that held each maximum (dh, dW,
    /// db as sparse row updates); sum recomputes each chunk's logits and runs the dense products. With
    /// <paramref name="excluded"/> = n the entries of ids 0..n−1 are 0 and get no gradient (a class whose logits there
    /// are −∞: NorbertForMaskedLM's special tokens).
    /// </summary>
    public static Variable SpladePooling(Tape tape, Variable hidden, int[] owner, int batch, Parameter decoder, Parameter? bias,
        SpladeActivation activation, SpladeStrategy strategy, int excluded = 0)
    {
        ArgumentNullException.ThrowIfNull(owner);
        int m = hidden.Rows, c = hidden.Cols;
        if (decoder.Shape.Length != 2 || decoder.Shape[1] != c)
            throw new ArgumentException($"{decoder.Name}: shape [{string.Join(", ", decoder.Shape)}] does not take {c} inputs");
        int v = decoder.Shape[0];
        if (bias is not null && bias.Length != v) throw new ArgumentException($"{bias.Name}: {bias.Length} values for {v} logits");
        if (owner.Length != m) throw new ArgumentException($"owner has {owner.Length} entries for {m} rows", nameof(owner));
        if ((uint)excluded > (uint)v) throw new ArgumentOutOfRangeException(nameof(excluded), $"{excluded} excluded ids of {v}");
        foreach (int b in owner)
        {
            if ((uint)b >= (uint)batch) throw new ArgumentOutOfRangeException(nameof(owner), $"text {b} is outside [0, {batch})");
        }
        var y = tape.NewVariable(batch, v);
        var ys = y.Span;
        bool record = tape.Records(y), max = strategy == SpladeStrategy.Max;
        var argmax = max && record ? tape.Save(batch * v) : default; // row indices, stored as the floats' bits
        var slots = MemoryMarshal.Cast<float, int>(argmax.Span);
        if (max) ys.Fill(float.NegativeInfinity);
        else ys.Clear();
        slots.Fill(-1);
        var b16 = bias is null ? default : bias.Values.Span;
        var z = tape.Rent(Math.Min(SpladeChunkRows, Math.Max(m, 1)) * v);
        for (int r0 = 0; r0 < m; r0 += SpladeChunkRows)
        {
            int rows = Math.Min(SpladeChunkRows, m - r0);
            Multiply(tape, hidden.Span.Slice(r0 * c, rows * c), decoder, b16, z.AsSpan(0, rows * v), rows); // [rows, C]·[V, C]ᵀ + b
            for (int r = 0; r < rows; r++)
            {
                var row = z.AsSpan(r * v, v);
                int b = owner[r0 + r];
                if (max) Kernels.SpladePooling.MaxInto(row, ys.Slice(b * v, v), record ? slots.Slice(b * v, v) : default, r0 + r);
                else Kernels.SpladePooling.SumInto(row[excluded..], ys.Slice(b * v + excluded, v - excluded), activation);
            }
        }
        tape.Return(z);
        Memory<float> peak = default;
        if (max && excluded > 0)
        {
            for (int b = 0; b < batch; b++)
            {
                ys.Slice(b * v, excluded).Fill(float.NegativeInfinity); // f(−∞) = 0
                if (record) slots.Slice(b * v, excluded).Fill(-1);       // no gradient
            }
        }
        if (max)
        {
            if (record)
            {
                peak = tape.Save(batch * v); // max_t z, for f'
                ys.CopyTo(peak.Span);
            }
            Kernels.SpladePooling.Finish(ys, activation);
        }
        if (record)
        {
            if (max) RecordSpladeMax(tape, hidden, decoder, bias, activation, argmax, peak, y);
            else RecordSpladeSum(tape, hidden, owner, decoder, bias, activation, excluded, y);
        }
        return y;
    }

    // Max: for each (b, v) whose maximum is positive, d = dy[b, v]·f'(max z) at its row t: dh[t] += d·W[v],
    // dW[v] += d·h[t], db[v] += d. The weight pass runs over vocabulary ranges, the input pass over texts (their rows
    // are disjoint), so no two threads write one value.
    private static void RecordSpladeMax(Tape tape, Variable hidden, Parameter decoder, Parameter? bias, SpladeActivation activation,
        Memory<float> argmax, Memory<float> peak, Variable y) => tape.Record(y, () =>
    {
        int batch = y.Rows, v = y.Cols, c = hidden.Cols;
        var dy = y.Grad;
        var d = tape.Rent(batch * v); // dy·f'(max z), 0 where nothing flows
        var ds = d.AsSpan(0, batch * v);
        var p = peak.Span;
        var slots = MemoryMarshal.Cast<float, int>(argmax.Span);
        for (int i = 0; i < ds.Length; i++) ds[i] = slots[i] >= 0 ? dy[i] * Kernels.SpladePooling.Derivative(p[i], activation) : 0f;
        var h = hidden.Data;
        if (decoder.RequiresGrad || bias is { RequiresGrad: true })
        {
            var dW = decoder.RequiresGrad ? decoder.Grad : default;
            var db = bias is { RequiresGrad: true } ? bias.Grad : default;
            Parallelism.For(v, 256, (v0, v1) =>
            {
                var rows = MemoryMarshal.Cast<float, int>(argmax.Span);
                var dd = d.AsSpan();
                var hs = h.Span;
                for (int k = v0; k < v1; k++)
                {
                    for (int b = 0; b < batch; b++)
                    {
                        float g = dd[b * v + k];
                        if (g == 0f) continue;
                        if (!dW.IsEmpty)
                        {
                            var w = dW.Span.Slice(k * c, c);
                            TensorPrimitives.MultiplyAdd(hs.Slice(rows[b * v + k] * c, c), g, w, w);
                        }
                        if (!db.IsEmpty) db.Span[k] += g;
                    }
                }
            });
        }
        if (hidden.RequiresGrad)
        {
            var dh = tape.Rent(hidden.Rows * c);
            Array.Clear(dh, 0, hidden.Rows * c);
            var w32 = decoder.Precision == WeightPrecision.Float32 && !decoder.IsInt8Only ? decoder.Values : default;
            Parallelism.For(batch, 1, (b0, b1) =>
            {
                var rows = MemoryMarshal.Cast<float, int>(argmax.Span);
                Span<float> widened = w32.IsEmpty ? stackalloc float[c] : default;
                for (int b = b0; b < b1; b++)
                {
                    for (int k = 0; k < v; k++)
                    {
                        float g = d[b * v + k];
                        if (g == 0f) continue;
                        scoped ReadOnlySpan<float> w;
                        if (w32.IsEmpty)
                        {
                            decoder.Widen(k * c, widened);
                            w = widened;
                        }
                        else w = w32.Span.Slice(k * c, c);
                        var dst = dh.AsSpan(rows[b * v + k] * c, c);
                        TensorPrimitives.MultiplyAdd(w, g, dst, dst);
                    }
                }
            });
            tape.WriteGrad(hidden, dx => dh.AsSpan(0, dx.Length).CopyTo(dx));
            tape.Return(dh);
        }
        tape.Return(d);
    });

    // Sum: per chunk, z again, dz = dy[owner]·f'(z) (in place), then dh = dz·W, dW += dzᵀ·h, db += Σ_rows dz.
    private static void RecordSpladeSum(Tape tape, Variable hidden, int[] owner, Parameter decoder, Parameter? bias,
        SpladeActivation activation, int excluded, Variable y) => tape.Record(y, () =>
    {
        int m = hidden.Rows, c = hidden.Cols, v = y.Cols;
        var dy = y.Grad;
        var b16 = bias is null ? default : bias.Values.Span;
        var z = tape.Rent(Math.Min(SpladeChunkRows, Math.Max(m, 1)) * v);
        var dh = hidden.RequiresGrad ? tape.Rent(m * c) : null;
        for (int r0 = 0; r0 < m; r0 += SpladeChunkRows)
        {
            int rows = Math.Min(SpladeChunkRows, m - r0);
            var h = hidden.Span.Slice(r0 * c, rows * c);
            var dz = z.AsSpan(0, rows * v);
            Multiply(tape, h, decoder, b16, dz, rows);
            for (int r = 0; r < rows; r++)
            {
                dz.Slice(r * v, excluded).Clear();
                Kernels.SpladePooling.SumBackward(dz.Slice(r * v + excluded, v - excluded), dy.Slice(owner[r0 + r] * v + excluded, v - excluded), activation);
            }
            if (dh is not null) MultiplyBack(tape, decoder, dz, v, rows, dh.AsSpan(r0 * c, rows * c), 0f);
            if (decoder.RequiresGrad) Blas.Sgemm(true, false, v, c, rows, 1f, dz, v, h, c, 1f, decoder.Grad.Span, c); // [V, rows]·[rows, C]
            if (bias is { RequiresGrad: true })
            {
                var db = bias.Grad.Span;
                for (int r = 0; r < rows; r++) TensorPrimitives.Add(db, dz.Slice(r * v, v), db);
            }
        }
        tape.Return(z);
        if (dh is null) return;
        tape.WriteGrad(hidden, dx => dh.AsSpan(0, dx.Length).CopyTo(dx));
        tape.Return(dh);
    });
}
