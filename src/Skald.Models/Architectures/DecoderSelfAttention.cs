using Skald.Models.Checkpoints;
using Skald.Models.Generation;
using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;

namespace Skald.Models.Architectures;

/// <summary>
/// A decoder's self-attention block (LlamaAttention and its Mistral / Qwen2 / Qwen3 / Gemma relatives):
/// q = x·Wqᵀ (+b), k, v likewise with Hkv heads; optional per-head RMSNorm of q and k (Qwen3, Gemma 3) before RoPE;
/// RoPE on q and k; attention (grouped-query, causal or bidirectional, window, soft-cap: <see cref="AttentionScoring"/>);
/// o_proj. q, k, v are separate projections (each a LoRA target later), their results separate variables. In a training
/// pass the attention probabilities are dropped with <see cref="Tape.Dropout"/> (transformers' attention_dropout; the
/// only dropout these models have).
/// </summary>
internal sealed class DecoderSelfAttention
{
    private readonly Parameter q, k, v, o;               // self_attn.{q,k,v,o}_proj.weight: [H·D, C], [Hkv·D, C] ×2, [C, H·D]
    private readonly Parameter? qBias, kBias, vBias, oBias; // self_attn.{q,k,v,o}_proj.bias
    private readonly Parameter? qNorm, kNorm;             // self_attn.{q,k}_norm.weight: [D]
    private readonly float eps, normOffset;
    private readonly int heads, kvHeads, layer;

    /// <summary>
    /// Reads <c>{p}.{q,k,v,o}_proj</c> and, with <paramref name="qkNorm"/>, <c>{p}.{q,k}_norm</c>; <paramref name="layer"/>
    /// is the layer's index (its slot in a <see cref="KvCache"/>).
    /// </summary>
    public DecoderSelfAttention(TransformerConfig cfg, ParameterBuilder p, bool qkvBias, bool oBiasOn, bool qkNorm,
        float normOffset, int layer)
    {
        this.layer = layer;
        int c = cfg.HiddenSize, d = cfg.HeadSize;
        heads = cfg.NumHeads;
        kvHeads = cfg.KeyValueHeads;
        eps = cfg.RmsNormEps;
        this.normOffset = normOffset;
        q = p.Tensor("q_proj.weight", heads * d, c);
        qBias = qkvBias ? p.Tensor("q_proj.bias", heads * d) : null;
        k = p.Tensor("k_proj.weight", kvHeads * d, c);
        kBias = qkvBias ? p.Tensor("k_proj.bias", kvHeads * d) : null;
        v = p.Tensor("v_proj.weight", kvHeads * d, c);
        vBias = qkvBias ? p.Tensor("v_proj.bias", kvHeads * d) : null;
        o = p.Tensor("o_proj.weight", c, heads * d);
        oBias = oBiasOn ? p.Tensor("o_proj.bias", c) : null;
        if (qkNorm)
        {
            qNorm = p.Tensor("q_norm.weight", d);
            kNorm = p.Tensor("k_norm.weight", d);
        }
    }

    /// <summary>
    /// x [B·T, C] → attention output after o_proj [B·T, C] (unpadded <paramref name="rows"/>: [N, C] → [N, C]). With a <paramref name="cache"/> (generation, non-recording)
    /// x holds only the step's new tokens: RoPE at the cache's positions, their keys and values appended, the queries
    /// attending to every cached key (the first step, an empty cache, attends within the prompt as without one; a ragged
    /// step, <see cref="KvCache.PlanRagged"/>, each row's tokens to that row's).
    /// </summary>
    public Variable Forward(Tape tape, Variable x, BatchRows rows, RopeTable rope, AttentionScoring scoring, KvCache? cache = null) =>
        Ops.Linear(tape, Context(tape, x, rows, rope, scoring, cache), o, oBias);

    /// <summary>o_proj.weight [C, H·D] (<see cref="Context"/>'s output goes through it).</summary>
    public Parameter Output => o;

    /// <summary>o_proj.bias [C], or null.</summary>
    public Parameter? OutputBias => oBias;

    /// <summary>
    /// <see cref="Forward"/> up to o_proj: the attention's context [B·T, H·D] (unpadded rows: [N, H·D]), for a caller
    /// that multiplies it by <see cref="Output"/> itself (Llama's fused block after the attention).
    /// </summary>
    public Variable Context(Tape tape, Variable x, BatchRows rows, RopeTable rope, AttentionScoring scoring, KvCache? cache = null)
    {
        var maskBias = rows.MaskBias;
        int batch = rows.Batch, seq = rows.Seq;
        var qs = Ops.Linear(tape, x, q, qBias);  // [B·T, H·D]
        var ks = Ops.Linear(tape, x, k, kBias);  // [B·T, Hkv·D]
        var vs = Ops.Linear(tape, x, v, vBias);  // [B·T, Hkv·D]
        if (qNorm is not null && kNorm is not null)
        {
            qs = Ops.RmsNorm(tape, qs, qNorm, eps, normOffset);
            ks = Ops.RmsNorm(tape, ks, kNorm, eps, normOffset);
        }
        if (cache is not null)
        {
            qs = Ops.Rope(tape, qs, rope, cache.StepPositions);
            ks = Ops.Rope(tape, ks, rope, cache.StepPositions);
            return Cached(tape, qs, ks, vs, rows, cache, layer, heads, kvHeads, scoring);
        }
        if (rows.Unpadded is { } u && rows.Positions is { } positions)
        {
            // Unpadded inference rows [N, ·]: each at its padded row's position, each sequence attending to its own.
            qs = Ops.Rope(tape, qs, rope, positions);
            ks = Ops.Rope(tape, ks, rope, positions);
            return Ops.DecoderAttention(tape, qs, ks, vs, u, heads, kvHeads, scoring);
        }
        qs = Ops.Rope(tape, qs, rope, seq);
        ks = Ops.Rope(tape, ks, rope, seq);
        // attention_dropout in training passes: the tape's dropout (model.dropout; 0 in inference).
        return Ops.DecoderAttention(tape, qs, ks, vs, maskBias, batch, seq, heads, kvHeads, scoring, tape.Dropout); // [B·T, H·D]
    }

    /// <summary>
    /// A generation step's attention with a <paramref name="cache"/>: the step's keys <paramref name="ks"/> and values
    /// <paramref name="vs"/> (positions already applied) appended at <paramref name="layer"/>, then the queries attend
    /// within the prompt (an empty cache: the GEMM path), to every cached key, or, in a ragged step
    /// (<see cref="KvCache.PlanRagged"/>), each row's tokens to that row's. → [rows, H·D] before the output projection.
    /// </summary>
    public static Variable Cached(Tape tape, Variable qs, Variable ks, Variable vs, BatchRows rows, KvCache cache, int layer,
        int heads, int kvHeads, AttentionScoring scoring)
    {
        var layout = cache.Append(layer, ks, vs);
        return cache.Ragged // several prompts' chunks back to back, each against its own row
            ? cache.RaggedAttention(tape, layer, qs, ks, vs, scoring)
            : layout.Length == layout.NewTokens // an empty cache: the prompt's own keys, the GEMM path
            ? Ops.DecoderAttention(tape, qs, ks, vs, rows.MaskBias, rows.Batch, rows.Seq, heads, kvHeads, scoring)
            : Ops.CachedAttention(tape, qs, cache.Keys(layer), cache.Values(layer), cache.KeyBias, layout, scoring);
    }

    /// <summary>A cache is for generation: a non-recording tape and causal attention (one line otherwise).</summary>
    public static void CheckCache(Tape tape, KvCache? cache, AttentionMode mode)
    {
        if (cache is null) return;
        if (tape.Recording) throw new InvalidOperationException("a KV cache is for generation on a non-recording tape");
        if (mode != AttentionMode.Causal) throw new InvalidOperationException("a KV cache needs causal attention");
    }

    /// <summary>transformers' attention scale: query_pre_attn_scalar^−½ when set, else head_dim^−½.</summary>
    public static float Scale(TransformerConfig cfg) =>
        (float)(1.0 / Math.Sqrt(cfg.QueryPreAttnScalar > 0 ? cfg.QueryPreAttnScalar : cfg.HeadSize));
}
