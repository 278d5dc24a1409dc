using Skald.Tokenizers;

namespace Skald.Models.Architectures;

/// <summary>
/// One padded batch of token ids, the input of every architecture. Ids, Mask and TypeIds are [Batch, Seq] row-major;
/// mask 1 = real token, 0 = padding. Padding is on the right (encoders) or on the left (decoders, LLM2Vec), so an
/// architecture must not assume that real tokens start at t = 0: it reads <see cref="Mask"/> for attention and, when
/// it has positions, takes them from <see cref="Positions"/> (or, as XLM-R does, from the ids), never from t.
/// </summary>
/// <remarks>
/// Positions with left padding. transformers' decoders (LlamaModel.forward; Mistral, Qwen2/3 and Gemma alike) use
/// <c>position_ids = cache_position.unsqueeze(0)</c>, i.e. 0..T−1 of the padded row, when the caller passes none, as
/// LLM2Vec's and sentence-transformers' encode do; only <c>generate</c> (prepare_inputs_for_generation) derives them
/// from the mask, <c>attention_mask.cumsum(-1) − 1</c>. So a left-padded row's first real token sits at position
/// "number of pads" in transformers. With rotary embeddings this changes nothing but rounding: a query–key score
/// depends on the position difference only, and pads are masked out as keys. <see cref="Positions"/> counts real
/// tokens (the first real token is 0, like generate), which gives every row the positions it has unpadded, so a text's
/// embedding does not depend on what it was batched with; with right padding it is 0..T−1 on the real tokens, as
/// transformers has it. Absolute position tables (BERT) need it: t would shift a left-padded row.
/// Upstream: https://github.com/huggingface/transformers/blob/002272831fba584eb30dca9729c1be456836960a/src/transformers/models/llama/modeling_llama.py
/// (LlamaModel.forward, LlamaForCausalLM.prepare_inputs_for_generation).
/// </remarks>
public sealed record TokenBatch(int[] Ids, int[] Mask, int[] TypeIds, int Batch, int Seq)
{
    private (int[] Mask, int[] Positions)? positions; // computed for this Mask (a `with` copy may carry another)

    /// <summary>
    /// Pads <paramref name="encodings"/> to the longest with <paramref name="padId"/> on <paramref name="side"/>
    /// (right unless told).
    /// </summary>
    public static TokenBatch Pad(IReadOnlyList<Encoding> encodings, int padId, PaddingSide side = PaddingSide.Right)
    {
        if (encodings.Count == 0) throw new ArgumentException("no texts in the batch", nameof(encodings));
        var (ids, mask, typeIds, seq) = Padding.PadBatch(encodings, padId, padLeft: side == PaddingSide.Left);
        return new TokenBatch(ids, mask, typeIds, encodings.Count, seq);
    }

    /// <summary>Rows · Seq.</summary>
    public int Count => Batch * Seq;

    /// <summary>
    /// Position ids [Batch, Seq] given by the caller instead of <see cref="Positions"/>' count of real tokens: for tokens
    /// that are not attended to but whose states are read (PyLate's query expansion, whose [MASK] tokens sit at
    /// positions T.. of HF's arange). Null: counted from <see cref="Mask"/>.
    /// </summary>
    public int[]? PositionIds { get; init; }

    /// <summary>
    /// Position ids [Batch, Seq]: <see cref="PositionIds"/> when given, else the number of real tokens before each real
    /// token (0 for the first real token of a row, whichever side it is padded on), 0 on padding. Computed on first use.
    /// </summary>
    public int[] Positions
    {
        get
        {
            if (PositionIds is { } given) return given;
            if (positions is not { } p || !ReferenceEquals(p.Mask, Mask)) positions = p = (Mask, RealTokenPositions(Mask, Batch, Seq));
            return p.Positions;
        }
    }

    /// <summary>For each real token, how many real tokens precede it in its row; 0 on padding.</summary>
    public static int[] RealTokenPositions(ReadOnlySpan<int> mask, int batch, int seq)
    {
        var p = new int[batch * seq];
        for (int b = 0; b < batch; b++)
        {
            int real = 0;
            for (int t = 0; t < seq; t++)
            {
                if (mask[b * seq + t] != 0) p[b * seq + t] = real++;
            }
        }
        return p;
    }
}
