using System.Buffers;
using System.Numerics.Tensors;
using Skald.Tensors.Gemm;

namespace Skald.Tensors.Autograd;

/// <summary>
/// One LoRA adapter of a linear weight W [out, in], as peft's <c>LoraLayer</c> defines it: A [r, in], B [out, r] and
/// scale = lora_alpha / r, so the layer computes y = x·Wᵀ + b + scale·(dropout(x)·Aᵀ)·Bᵀ and merging gives
/// W' = W + scale·B·A. Attach it with <see cref="Parameter.Lora"/>. Dropout is active in training passes only
/// (<see cref="Tape.Training"/>).
/// <para>
/// With a <see cref="Magnitude"/> m [out] it is DoRA (Liu et al. 2024, peft's <c>use_dora</c>): the adapted weight
/// W + scale·B·A is split into its row norms ν = ‖W + scale·B·A‖ (per output, over the inputs) and its direction, and
/// the output takes the trained magnitude instead: y = b + (m/ν)⊙(x·Wᵀ + scale·(x·Aᵀ)·Bᵀ). ν is recomputed from A and B
/// on every pass but gets no gradient (the paper's section 4.3, as peft detaches it); with dropout in training, peft's
/// form y = x·Wᵀ + b + (m/ν − 1)⊙(x̃·Wᵀ) + (m/ν)⊙scale·(x̃·Aᵀ)·Bᵀ with x̃ = dropout(x). Merging gives
/// W' = (m/ν)⊙(W + scale·B·A), row by row.
/// </para>
/// <para>
/// On a [V, C] lookup table (<see cref="Parameter.IsTable"/>) it is peft's Embedding LoRA (<see cref="ForTable"/>):
/// A [r, V], B [C, r], row id of the table gets scale·B·A[:, id] where it is gathered, and merging gives
/// W' = W + scale·(B·A)ᵀ; no dropout (peft applies none there). With a magnitude m [C] it is peft's DoRA on an embedding
/// (<c>DoraEmbeddingLayer</c>, <c>DoraEmbeddingVariant</c>): ν [C] are the column norms of the adapted table,
/// ν[c] = ‖W[:, c] + scale·(B·A)ᵀ[:, c]‖ over the V rows (peft transposes the table, fan_in_fan_out), and a gathered row
/// is (m/ν)⊙(W[id] + scale·B·A[:, id]); merging gives W' = (W + scale·(B·A)ᵀ) with each column c times m[c]/‖W'[:, c]‖.
/// </para>
/// </summary>
/// <remarks>Upstream: https://github.com/huggingface/peft/blob/v0.17.1/src/peft/tuners/lora/layer.py,
/// https://github.com/huggingface/peft/blob/v0.17.1/src/peft/tuners/lora/dora.py (DoraLinearLayer) and
/// https://github.com/huggingface/peft/blob/v0.17.1/src/peft/tuners/lora/variants.py (DoraLinearVariant)</remarks>
public sealed class LoraAdapter
{
    /// <summary>An adapter over <paramref name="a"/> [r, in] and <paramref name="b"/> [out, r]; with
    /// <paramref name="magnitude"/> [out] a DoRA adapter.</summary>
    public LoraAdapter(Parameter a, Parameter b, float scale, float dropout, Parameter? magnitude = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Shape.Length != 2 || b.Shape.Length != 2 || b.Shape[1] != a.Shape[0])
            throw new ArgumentException($"LoRA A [{string.Join(", ", a.Shape)}] and B [{string.Join(", ", b.Shape)}] do not share a rank");
        if (!(dropout is >= 0f and < 1f)) throw new ArgumentOutOfRangeException(nameof(dropout), "dropout must be in [0, 1)");
        if (magnitude is not null && (magnitude.Shape.Length != 1 || magnitude.Shape[0] != b.Shape[0]))
            throw new ArgumentException($"DoRA magnitude [{string.Join(", ", magnitude.Shape)}] does not fit B's {b.Shape[0]} outputs");
        A = a;
        B = b;
        Scale = scale;
        Dropout = dropout;
        Magnitude = magnitude;
    }

    /// <summary>
    /// peft's Embedding LoRA over a [V, C] table (A [r, V] = lora_embedding_A, B [C, r] = lora_embedding_B), not a
    /// Linear one.
    /// </summary>
    public bool Embedding { get; private init; }

    /// <summary>An Embedding LoRA adapter over a [V, C] table: <paramref name="a"/> [r, V], <paramref name="b"/> [C, r]; with
    /// <paramref name="magnitude"/> [C] DoRA.</summary>
    public static LoraAdapter ForTable(Parameter a, Parameter b, float scale, Parameter? magnitude = null) =>
        new(a, b, scale, 0f, magnitude) { Embedding = true };

    /// <summary>lora_A [r, in] (lora_embedding_A [r, V] on a table).</summary>
    public Parameter A { get; }

    /// <summary>lora_B [out, r].</summary>
    public Parameter B { get; }

    /// <summary>DoRA's lora_magnitude_vector m [out]; null for plain LoRA.</summary>
    public Parameter? Magnitude { get; }

    /// <summary>The adapter's own parameters: A and B, and the magnitude with DoRA (what an optimiser trains).</summary>
    public IReadOnlyList<Parameter> Parameters => Magnitude is { } m ? [A, B, m] : [A, B];

    /// <summary>The rank r.</summary>
    public int Rank => A.Shape[0];

    /// <summary>lora_alpha / r (or / √r with rsLoRA).</summary>
    public float Scale { get; }

    /// <summary>lora_dropout on the adapter's input.</summary>
    public float Dropout { get; }

    /// <summary>
    /// ν[j] = ‖W[j] + scale·(B·A)[j]‖₂ for every output j of <paramref name="weight"/> (the weight this adapter is on, of
    /// any precision: rows widened to float32 in blocks), into <paramref name="norms"/> [out]: DoRA's weight norm, and
    /// with B = 0 the initial magnitude. On a table, the column norms ν[c] = ‖W[:, c] + scale·(B·A)ᵀ[:, c]‖₂ [C]
    /// (with A = 0 the initial magnitude), squares summed in double.
    /// </summary>
    public void WeightNorms(Parameter weight, Span<float> norms)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (Embedding)
        {
            TableNorms(weight, norms);
            return;
        }
        int outF = B.Shape[0], inF = A.Shape[1], r = Rank;
        if (weight.Shape.Length != 2 || weight.Shape[0] != outF || weight.Shape[1] != inF)
            throw new ArgumentException($"{weight.Name} [{string.Join(", ", weight.Shape)}] is not the adapter's [{outF}, {inF}]");
        if (norms.Length < outF) throw new ArgumentException($"norms holds {norms.Length} values, the weight has {outF} rows");
        const int Block = 64;
        float[] buffer = ArrayPool<float>.Shared.Rent(Block * inF);
        var a = A.Data.Span;
        var b = B.Data.Span;
        for (int row0 = 0; row0 < outF; row0 += Block)
        {
            int rows = Math.Min(Block, outF - row0);
            var w = buffer.AsSpan(0, rows * inF); // [rows, in]
            weight.Widen(row0 * inF, w);
            Blas.Sgemm(false, false, rows, inF, r, Scale, b[(row0 * r)..], r, a, inF, 1f, w, inF);
            for (int j = 0; j < rows; j++) norms[row0 + j] = TensorPrimitives.Norm(w.Slice(j * inF, inF));
        }
        ArrayPool<float>.Shared.Return(buffer);
    }

    /// <summary>
    /// DoRA's per-output factors for <paramref name="weight"/>: <paramref name="inverseNorm"/> = 1/ν and
    /// <paramref name="scales"/> = m/ν (<see cref="WeightNorms"/>; ν gets no gradient).
    /// </summary>
    public void MagnitudeScales(Parameter weight, Span<float> scales, Span<float> inverseNorm)
    {
        var m = (Magnitude ?? throw new InvalidOperationException($"{weight.Name}: a plain LoRA adapter has no magnitude")).Data.Span;
        WeightNorms(weight, inverseNorm);
        for (int j = 0; j < m.Length; j++)
        {
            float inv = 1f / inverseNorm[j];
            inverseNorm[j] = inv;
            scales[j] = m[j] * inv;
        }
    }

    /// <summary>The column norms of the adapted [V, C] table (see <see cref="WeightNorms"/>), V rows a block at a time.</summary>
    private void TableNorms(Parameter table, Span<float> norms)
    {
        int vocab = A.Shape[1], c = B.Shape[0], r = Rank;
        if (table.Shape.Length != 2 || table.Shape[0] != vocab || table.Shape[1] != c)
            throw new ArgumentException($"{table.Name} [{string.Join(", ", table.Shape)}] is not the adapter's table [{vocab}, {c}]");
        if (norms.Length < c) throw new ArgumentException($"norms holds {norms.Length} values, the table has {c} columns");
        const int Block = 256;
        float[] buffer = ArrayPool<float>.Shared.Rent(Block * c);
        var squares = new double[c];
        var a = A.Data.Span;
        for (int row0 = 0; row0 < vocab; row0 += Block)
        {
            int rows = Math.Min(Block, vocab - row0);
            var w = buffer.AsSpan(0, rows * c); // [rows, C] = W[rows] + scale·A[:, rows]ᵀ·Bᵀ
            table.Widen(row0 * c, w);
            Blas.Sgemm(true, true, rows, c, r, Scale, a[row0..], vocab, B.Data.Span, r, 1f, w, c);
            for (int i = 0; i < rows; i++)
            {
                var row = w.Slice(i * c, c);
                for (int j = 0; j < c; j++) squares[j] += (double)row[j] * row[j];
            }
        }
        ArrayPool<float>.Shared.Return(buffer);
        for (int j = 0; j < c; j++) norms[j] = (float)Math.Sqrt(squares[j]);
    }

    /// <summary>
    /// W += scale·B·A (with DoRA then each row times m/‖row‖) into the parameter <paramref name="weight"/>: in place for
    /// float32; for bfloat16 computed in float32, then rounded to nearest (<see cref="Parameter.Update{TState}"/>).
    /// </summary>
    public void MergeInto(Parameter weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        weight.Update(this, static (w, adapter) => adapter.MergeInto(w));
    }

    /// <summary>W += scale·B·A ([out, r]·[r, in]), in place (peft's merge); with DoRA each merged row W'[j] then times
    /// m[j] / ‖W'[j]‖ (peft's DoRA merge: the norm of the merged row, before the magnitude).</summary>
    public void MergeInto(Span<float> weight)
    {
        int outF = B.Shape[0], inF = A.Shape[1], r = Rank;
        if (weight.Length != outF * inF) throw new ArgumentException($"the weight has {weight.Length} values, the adapter makes [{outF}, {inF}]");
        if (Embedding)
        {
            // [V, C] += scale·Aᵀ·Bᵀ (= scale·(B·A)ᵀ, peft's Embedding get_delta_weight).
            Blas.Sgemm(true, true, inF, outF, r, Scale, A.Data.Span, inF, B.Data.Span, r, 1f, weight, outF);
            if (Magnitude is null) return;
            // DoRA: each column c of the merged table times m[c] / ‖W'[:, c]‖ (peft's DoraEmbeddingVariant merge).
            var squares = new double[outF];
            for (int v = 0; v < inF; v++)
            {
                var row = weight.Slice(v * outF, outF);
                for (int j = 0; j < outF; j++) squares[j] += (double)row[j] * row[j];
            }
            var factor = new float[outF];
            var mt = Magnitude.Data.Span;
            for (int j = 0; j < outF; j++) factor[j] = (float)(mt[j] / Math.Sqrt(squares[j]));
            for (int v = 0; v < inF; v++) TensorPrimitives.Multiply(weight.Slice(v * outF, outF), factor, weight.Slice(v * outF, outF));
            return;
        }
        Blas.Sgemm(false, false, outF, inF, r, Scale, B.Data.Span, r, A.Data.Span, inF, 1f, weight, inF);
        if (Magnitude is null) return;
        var m = Magnitude.Data.Span;
        for (int j = 0; j < outF; j++)
        {
            var row = weight.Slice(j * inF, inF);
            TensorPrimitives.Multiply(row, m[j] / TensorPrimitives.Norm(row), row);
        }
    }
}
