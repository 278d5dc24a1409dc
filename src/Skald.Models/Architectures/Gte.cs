using Skald.Models.Checkpoints;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;

namespace Skald.Models.Architectures;

/// <summary>
/// GTE's "NewModel" (Alibaba-NLP/gte-multilingual-base, gte-base/large-en-v1.5, Snowflake/snowflake-arctic-embed-m-v2.0),
/// the custom code their config.json's auto_map names (<c>Alibaba-NLP/new-impl--modeling.NewModel</c>, model type
/// "gte" through <see cref="CustomCode"/>), following new-impl's modeling.py
/// (https://huggingface.co/Alibaba-NLP/new-impl/blob/40ced75c3017eb27626c9d4ea981bde21a2662f4/modeling.py; the copy
/// read is stored file 16234270733). Embeddings: LayerNorm(word[id] + token_type[tt] (type_vocab_size &gt; 0) +
/// position[t] (position_embedding_type "absolute" only)), positions t = 0..T−1 of the padded row. Each layer is
/// post-norm: h = attn_ln(x + o_proj(attention(x))), then y = mlp_ln(h + down_proj(up ⊙ act(gate))) with
/// [up; gate] = up_gate_proj(h) (bias-free, the value half first) and attn_ln / mlp_ln LayerNorms or RMSNorms
/// (layer_norm_type). Attention: one qkv_proj (pack_qkv; else q_proj, k_proj, v_proj stacked into one GEMM), RoPE on q
/// and k (rotate-half, base rope_theta, new-impl's "ntk" rope_scaling, see <see cref="RopeScalingType.Ntk"/>) when
/// position_embedding_type is "rope", then with logn_attention_scale q times its sequence's <see cref="LognFactor"/>
/// (upstream's NewModel.forward computes it from attention_mask.sum(1), NewAttention multiplies the rotated queries),
/// bidirectional softmax(q·kᵀ/√D + padding mask)·v. No final norm; the pooler
/// (add_pooling_layer, off in NewModel) is not built. Upstream's unpadding and xformers kernels change how, not what,
/// it computes; Skald unpads in inference as every encoder. Fields nest like the checkpoint keys (<c>new.</c>
/// stripped): <c>embeddings.{word_embeddings, token_type_embeddings, position_embeddings, LayerNorm}</c>,
/// <c>encoder.layer.{i}.{attention.qkv_proj, attention.o_proj, attn_ln, mlp.up_gate_proj, mlp.down_proj, mlp_ln}</c>.
/// One definition for inference and training: on a recording tape <see cref="Tape.Dropout"/> drops where upstream's
/// hidden_dropout_prob acts (the embeddings, the attention output, the gated MLP states and the MLP output); the
/// attention probabilities are not dropped (NewConfig's attention_probs_dropout_prob defaults to 0, as both models set it).
/// NewForMaskedLM's head is <see cref="MaskedLm.GteMaskedLmHead"/>.
/// </summary>
public sealed class Gte : EncoderModel
{
    private readonly Parameter word;               // embeddings.word_embeddings.weight: [V, C]
    private readonly Parameter? tokenType;         // embeddings.token_type_embeddings.weight: [TV, C] (type_vocab_size > 0)
    private readonly Parameter? position;          // embeddings.position_embeddings.weight: [P, C] (absolute)
    private readonly Parameter lnWeight, lnBias;   // embeddings.LayerNorm.{weight,bias}: [C]
    private readonly Layer[] layers;               // encoder.layer.{i}.*
    private readonly RopeTable? rope;
    private readonly GteSettings gte;

    /// <summary>Builds the model's parameters through <paramref name="p"/> (checkpoint keys without the <c>new.</c> prefix).</summary>
    public Gte(TransformerConfig config, ParameterBuilder p) : base(config, PositionLimit(config))
    {
        gte = Settings(config);
        int c = config.HiddenSize;
        var embeddings = p.Sub("embeddings");
        word = embeddings.Table("word_embeddings.weight", config.VocabSize, c);
        if (config.TypeVocabSize > 0) tokenType = embeddings.Table("token_type_embeddings.weight", config.TypeVocabSize, c, leaveInFile: false);
        if (!gte.Rope) position = embeddings.Table("position_embeddings.weight", config.MaxPositionEmbeddings, c, leaveInFile: false);
        lnWeight = embeddings.Tensor("LayerNorm.weight", c);
        lnBias = embeddings.Tensor("LayerNorm.bias", c);
        var encoder = p.Sub("encoder");
        var gate = ActivationNames.GateFromHiddenAct(config.HiddenAct, config.Source);
        layers = new Layer[config.NumLayers];
        for (int i = 0; i < layers.Length; i++) layers[i] = new Layer(config, gte, encoder.Sub("layer", i), gate);
        Complete(p);
        if (gte.Rope) rope = new RopeTable(config.HeadSize, config.RopeTheta, config.RopeScaling);
    }

    /// <summary>embeddings.word_embeddings.weight [V, C] (NewForMaskedLM's lm_head.decoder is tied to it).</summary>
    public Parameter WordEmbeddings => word;

    /// <summary>
    /// The longest sequence: max_position_embeddings with absolute positions; with RoPE max_position_embeddings ·
    /// rope_scaling.factor, the length of the table new-impl's NTK rotary embedding builds for itself.
    /// </summary>
    private static int PositionLimit(TransformerConfig config) => Settings(config).Rope
        ? (int)Math.Min(int.MaxValue, config.MaxPositionEmbeddings * (double)Math.Max(1f, config.RopeScaling.Factor))
        : config.MaxPositionEmbeddings;

    private static GteSettings Settings(TransformerConfig config) =>
        config.Gte ?? throw new ArgumentException($"{config.Source}: not a GTE config (no GTE settings read)", nameof(config));

    /// <inheritdoc />
    private protected override Variable Run(Tape tape, TokenBatch tokens, BatchRows rows, HiddenStates? hiddenStates)
    {
        // NewEmbeddings: LayerNorm(word + token_type + position), dropout.                          [B·T or N, C]
        var x = Ops.Gather(tape, rows.Select(tokens.Ids), word);
        if (tokenType is not null) x = Ops.Add(tape, x, Ops.Gather(tape, rows.Select(tokens.TypeIds), tokenType));
        if (position is not null) x = Ops.Add(tape, x, Ops.Gather(tape, rows.Select(PaddedPositions(tape, tokens)), position));
        x = Ops.Dropout(tape, Ops.LayerNormalization(tape, x, lnWeight, lnBias, Config.LayerNormEps), tape.Dropout);
        var scoring = new AttentionScoring(1f / MathF.Sqrt(Config.HeadSize), Causal: false);
        var logn = gte.LognScale ? LognFactors(tape, tokens, rows) : ReadOnlyMemory<float>.Empty;
        foreach (var layer in layers) x = Layer(tape, x, new LayerStep(layer, rows, rope, scoring, logn), LayerStep.Run, rows, hiddenStates);
        return x;
    }

    /// <summary>
    /// logn_attention_scale's query factor for a sequence of <paramref name="length"/> real tokens: ln(L) / ln(P), P =
    /// max_position_embeddings, in float32 as upstream computes it (attention_mask.sum(1).log() / log(P)); at least 1
    /// with <paramref name="clip1"/> (logn_attention_clip1). Below 1 for L &lt; P unless clipped. A row without real
    /// tokens (its output is never read) gets 1.
    /// </summary>
    public static float LognFactor(int length, int maxPositions, bool clip1)
    {
        if (length <= 0) return 1f;
        float s = MathF.Log(length) / MathF.Log(maxPositions);
        return clip1 ? MathF.Max(s, 1f) : s;
    }

    /// <summary>Each running row's <see cref="LognFactor"/> (its sequence's): [B·T] padded, [N] unpadded; the tape's memory.</summary>
    private ReadOnlyMemory<float> LognFactors(Tape tape, TokenBatch tokens, BatchRows rows)
    {
        int p = Config.MaxPositionEmbeddings;
        if (rows.Unpadded is { } u)
        {
            var unpadded = tape.Save(u.Count);
            for (int b = 0; b < u.Batch; b++)
                unpadded.Span[u.Offsets[b]..u.Offsets[b + 1]].Fill(LognFactor(u.Offsets[b + 1] - u.Offsets[b], p, gte.LognClip1));
            return unpadded;
        }
        var padded = tape.Save(tokens.Count);
        int t = tokens.Seq;
        for (int b = 0; b < tokens.Batch; b++)
        {
            int length = 0;
            foreach (int m in tokens.Mask.AsSpan(b * t, t)) if (m != 0) length++;
            padded.Span.Slice(b * t, t).Fill(LognFactor(length, p, gte.LognClip1));
        }
        return padded;
    }

    /// <summary>Upstream's position ids: t for every slot of the padded row (arange(T), whatever the padding).</summary>
    private static int[] PaddedPositions(Tape tape, TokenBatch tokens)
    {
        var positions = tape.Ints(tokens.Count);
        for (int i = 0; i < positions.Length; i++) positions[i] = i % tokens.Seq;
        return positions;
    }

    /// <summary>A layer and its inputs besides x, for <see cref="Tape.Layer{TState}"/> (kept, or checkpointed).</summary>
    private readonly record struct LayerStep(Layer Layer, BatchRows Rows, RopeTable? Rope, AttentionScoring Scoring, ReadOnlyMemory<float> Logn)
    {
        public static readonly Func<Tape, Variable, LayerStep, Variable> Run =
            static (tape, x, s) => s.Layer.Forward(tape, x, s.Rows, s.Rope, s.Scoring, s.Logn);
    }

    /// <summary>
    /// NewPreTrainedModel._init_weights for a new model: Linear and Embedding weights N(0, initializer_range²), biases 0,
    /// the padding row (pad_token_id) of the word and position tables 0, LayerNorm weights 1 and biases 0 (RMSNorm
    /// weights keep their initial 1); also NewForMaskedLM's head (lm_head.dense, lm_head.norm, lm_head.decoder.bias).
    /// </summary>
    public static ParameterInitializer Initializer(TransformerConfig config, SkaldRandom random) => (key, values) =>
    {
        if (key.EndsWith(".bias", StringComparison.Ordinal)) values.Clear();
        else if (key.EndsWith("LayerNorm.weight", StringComparison.Ordinal) || key.EndsWith("_ln.weight", StringComparison.Ordinal)
                 || key == "lm_head.norm.weight") values.Fill(1f);
        else
        {
            for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextGaussian() * config.InitializerRange);
            bool padded = key is "embeddings.word_embeddings.weight" or "embeddings.position_embeddings.weight";
            int c = config.HiddenSize;
            if (padded && config.PadTokenId >= 0 && (config.PadTokenId + 1) * c <= values.Length)
                values.Slice(config.PadTokenId * c, c).Clear();
        }
    };

    /// <summary>NewLayer: NewAttention and NewGatedMLP, each followed by its residual add and post-norm.</summary>
    private sealed class Layer
    {
        private readonly TransformerConfig cfg;
        private readonly GateFunction gate;
        private readonly bool rms;
        private readonly Parameter qkv, qkvBias;              // attention.qkv_proj.{weight,bias}: [3C, C], [3C] (or q/k/v_proj stacked)
        private readonly Parameter o, oBias;                  // attention.o_proj.{weight,bias}: [C, C], [C]
        private readonly Parameter attnLn;                    // attn_ln.weight: [C]
        private readonly Parameter? attnLnBias;               // attn_ln.bias: [C] (layer_norm; RMSNorm has none)
        private readonly Parameter upGate;                    // mlp.up_gate_proj.weight: [2I, C] (rows: up, then gate)
        private readonly Parameter down, downBias;            // mlp.down_proj.{weight,bias}: [C, I], [C]
        private readonly Parameter mlpLn;                     // mlp_ln.weight: [C]
        private readonly Parameter? mlpLnBias;                // mlp_ln.bias: [C] (layer_norm)

        public Layer(TransformerConfig cfg, GteSettings gte, ParameterBuilder p, GateFunction gate)
        {
            this.cfg = cfg;
            this.gate = gate;
            rms = gte.RmsNorm;
            int c = cfg.HiddenSize, inter = cfg.IntermediateSize;
            var attention = p.Sub("attention");
            if (gte.PackQkv)
            {
                qkv = attention.Tensor("qkv_proj.weight", 3 * c, c);
                qkvBias = attention.Tensor("qkv_proj.bias", 3 * c);
            }
            else
            {
                string[] names = ["q_proj", "k_proj", "v_proj"];
                qkv = attention.Stack(names, "weight", c, c).Stacked;
                qkvBias = attention.Stack(names, "bias", c).Stacked;
            }
            o = attention.Tensor("o_proj.weight", c, c);
            oBias = attention.Tensor("o_proj.bias", c);
            attnLn = p.Tensor("attn_ln.weight", c);
            attnLnBias = rms ? null : p.Tensor("attn_ln.bias", c);
            upGate = p.Tensor("mlp.up_gate_proj.weight", 2 * inter, c);
            down = p.Tensor("mlp.down_proj.weight", c, inter);
            downBias = p.Tensor("mlp.down_proj.bias", c);
            mlpLn = p.Tensor("mlp_ln.weight", c);
            mlpLnBias = rms ? null : p.Tensor("mlp_ln.bias", c);
        }

        /// <summary>
        /// x [B·T, C] → [B·T, C] (unpadded rows: [N, C] → [N, C]); <paramref name="logn"/>: each row's query factor, or
        /// empty without logn_attention_scale.
        /// </summary>
        public Variable Forward(Tape tape, Variable x, BatchRows rows, RopeTable? rope, AttentionScoring scoring, ReadOnlyMemory<float> logn)
        {
            float p = tape.Dropout;
            // NewAttention: qkv [B·T, 3C] (q, k rotated and q scaled in place when nothing records); ctx [B·T, C] per head.
            var projected = Ops.Linear(tape, x, qkv, qkvBias);
            var unpadded = rows.Unpadded;
            if (rope is not null)
                projected = unpadded is not null && rows.Positions is { } positions
                    ? Ops.RopeQk(tape, projected, rope, positions)
                    : Ops.RopeQk(tape, projected, rope, rows.Seq);
            if (!logn.IsEmpty) projected = Ops.ScaleQueries(tape, projected, logn);
            var ctx = unpadded is not null
                ? Ops.FusedQkvAttention(tape, projected, unpadded, cfg.NumHeads, scoring)
                : Ops.FusedQkvAttention(tape, projected, rows.MaskBias, rows.Batch, rows.Seq, cfg.NumHeads, scoring); // probabilities not dropped (attention_probs_dropout_prob 0)
            // h = attn_ln(x + dropout(o_proj(ctx)))                                                      [B·T, C]
            var h = AddNorm(tape, ctx, o, oBias, x, attnLn, attnLnBias, p);
            // NewGatedMLP: dropout(up ⊙ act(gate)), [up; gate] = up_gate_proj(h); y = mlp_ln(h + dropout(down_proj(·)))
            var g = Ops.Dropout(tape, Ops.GeGluValueFirst(tape, Ops.Linear(tape, h, upGate, null), gate), p);
            return AddNorm(tape, g, down, downBias, h, mlpLn, mlpLnBias, p);
        }

        /// <summary>norm(residual + dropout(a·Wᵀ + b)): one fused op with LayerNorm, the ops in turn with RMSNorm.</summary>
        private Variable AddNorm(Tape tape, Variable a, Parameter w, Parameter b, Variable residual, Parameter norm, Parameter? normBias, float p) =>
            normBias is not null
                ? Ops.LinearAddLayerNorm(tape, a, w, b, residual, norm, normBias, cfg.LayerNormEps, p)
                : Ops.RmsNorm(tape, Ops.Add(tape, residual, Ops.Dropout(tape, Ops.Linear(tape, a, w, b), p)), norm, cfg.LayerNormEps);
    }
}
