using Skald.Tensors.Autograd;

namespace Skald.Models.Architectures;

/// <summary>
/// How a batch's token rows run through an architecture's layers: padded, [B·T] rows with the additive key mask
/// <see cref="MaskBias"/> (0 keeps a key, float.MinValue removes a padding token: HF's extended attention mask), or,
/// in inference passes over a batch with padding, unpadded (<see cref="Unpadded"/>): only the N real tokens, back to
/// back, each sequence attending to its own. Row-wise work (Linear, norms, activations) is the same either way; the
/// architecture selects its per-token inputs with <see cref="Select"/> and puts the states back with
/// <see cref="Restore"/>, so callers always get [B·T, C].
/// </summary>
/// <param name="MaskBias">[B·T] padded; empty unpadded.</param>
/// <param name="Batch">B.</param>
/// <param name="Seq">T, the padded length.</param>
/// <param name="Unpadded">The real tokens, when the rows are unpadded.</param>
/// <param name="Positions">
/// Unpadded: each running row's index t within its padded row [N], which is what <c>Ops.Rope(tape, x, table, seq)</c>
/// rotates a padded row by, so rotary embeddings give the unpadded rows the positions the padded pass gives them.
/// </param>
internal readonly record struct BatchRows(Memory<float> MaskBias, int Batch, int Seq, UnpaddedRows? Unpadded, int[]? Positions)
{
    /// <summary>
    /// The rows of <paramref name="tokens"/> on <paramref name="tape"/>: unpadded when the pass may skip the padding
    /// (<see cref="Ops.RunsUnpadded"/>, <paramref name="mayUnpad"/>) and the batch has some, else padded with the key mask.
    /// </summary>
    public static BatchRows For(Tape tape, TokenBatch tokens, bool mayUnpad = true)
    {
        if (mayUnpad && Ops.RunsUnpadded(tape, tape.Dropout) && UnpaddedRows.FromMask(tokens.Mask, tokens.Batch, tokens.Seq, tape) is { } u)
        {
            var positions = tape.Ints(u.Count); // the tape's until its Reset, as u's arrays
            for (int i = 0; i < positions.Length; i++) positions[i] = u.Index[i] % tokens.Seq;
            return new BatchRows(Memory<float>.Empty, tokens.Batch, tokens.Seq, u, positions);
        }
        var mask = tape.Save(tokens.Count);
        var m = mask.Span;
        for (int i = 0; i < m.Length; i++) m[i] = tokens.Mask[i] != 0 ? 0f : float.MinValue;
        return new BatchRows(mask, tokens.Batch, tokens.Seq, null, null);
    }

    /// <summary>A per-token array [B·T] for the rows that run: itself padded, its real tokens' entries unpadded.</summary>
    public int[] Select(int[] perToken) => Unpadded?.Select(perToken) ?? perToken;

    /// <summary>States of the running rows → [B·T, C] (unpadded: scattered back, the padding rows 0).</summary>
    public Variable Restore(Tape tape, Variable x) => Unpadded is null ? x : Ops.ScatterRows(tape, x, Unpadded.Index, Batch * Seq);
}
