using Skald.Models.Checkpoints;
using Skald.Tensors.Autograd;

namespace Skald.Models.Architectures;

/// <summary>
/// A decoder's language-model head: logits = hidden · Wᵀ over the vocabulary (W [V, C]: <c>lm_head.weight</c>, or
/// <c>embed_tokens.weight</c> when tie_word_embeddings), then Gemma 2's final_logit_softcapping c·tanh(logits/c) when
/// set. <see cref="Logits"/> projects only selected rows (masked-next-token prediction needs a few positions per
/// sequence, never [B, T, V] at once).
/// </summary>
public sealed class LmHead
{
    /// <summary>A head over <paramref name="weight"/> [V, C].</summary>
    public LmHead(Parameter weight, bool tied, float softCap = 0f)
    {
        if (weight.Shape.Length != 2) throw new ArgumentException($"{weight.Name} must be [vocab, hidden]");
        Weight = weight;
        Tied = tied;
        if (tied) weight.Tied = true; // the embedding lookup reads its float32 rows: never released to a packed or int8 form
        SoftCap = softCap;
    }

    /// <summary>W [V, C].</summary>
    public Parameter Weight { get; }

    /// <summary>Whether <see cref="Weight"/> is the embedding table.</summary>
    public bool Tied { get; }

    /// <summary>final_logit_softcapping (0: none).</summary>
    public float SoftCap { get; }

    /// <summary>V.</summary>
    public int VocabSize => Weight.Shape[0];

    /// <summary>Logits [rows.Length, V] for rows <paramref name="rows"/> of <paramref name="hidden"/> [B·T, C].</summary>
    public Variable Logits(Tape tape, Variable hidden, int[] rows)
    {
        var logits = Ops.Linear(tape, Ops.SelectRows(tape, hidden, rows), Weight, null);
        return SoftCap > 0f ? Ops.SoftCap(tape, logits, SoftCap) : logits;
    }

    /// <summary>
    /// The head of a decoder built through <paramref name="p"/> (the root builder): tied to <paramref name="embedTokens"/>
    /// when the config says so, else <c>lm_head.weight</c> (read, or initialised for a new model); null when a checkpoint
    /// has no lm_head.weight (a base model saved without its head, e.g. an embedding model's AutoModel folder).
    /// </summary>
    public static LmHead? Build(TransformerConfig cfg, ParameterBuilder p, Parameter embedTokens)
    {
        if (cfg.TieWordEmbeddings) return new LmHead(embedTokens, tied: true, cfg.FinalLogitSoftcapping);
        if (p.HasCheckpoint && !p.Contains("lm_head.weight")) return null;
        return new LmHead(p.Tensor("lm_head.weight", cfg.VocabSize, cfg.HiddenSize), tied: false, cfg.FinalLogitSoftcapping);
    }
}
