using Skald.Models.Checkpoints;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;

namespace Skald.Models.Architectures;

/// <summary>
/// NorBERT4 (ltg/norbert4-*): GPT-BERT, the custom code <c>modeling_gptbert.py</c> that its config.json's auto_map
/// names, re-implemented from
/// https://github.com/ltgoslo/NorBERT/blob/92800a5b8141120eabecbe01329acb2be7d99032/norbert4/huggingface_prototype/modeling_gptbert.py
/// (the padded, non-FlashAttention path, which is what transformers runs on a CPU), as GptBertModel's
/// <c>last_hidden_state</c>:
/// <code>
/// e = word_scale-gained affine-free LayerNorm(word_embedding[ids])          (dropout in training)
/// h = e; v1 = layer 0's value; per layer (λ = lambdas [6]):
///   attention(v_in = (1−λ0)h + λ0e, qk_in = (1−λ1)h + λ1e)
///     q, k = qk_proj(LN(qk_in)); q = RoPE((1 + q_scale)·LN_head(q)), k likewise; v = v_proj(LN(v_in))
///     v = (1 − μ)v + μ·v1 (μ = attention.lambdas; layer 0 uses v itself and hands it on as v1)
///     a = out_proj(LN(softmax(q·kᵀ/√D + padding + window)·v))
///   h' = softplus(λ4)((1−λ5)h + λ5e) + a + mlp(softplus(λ2)((1−λ3)h + λ3e) + a)
///   mlp(x) = down_proj(LN(x₁ ⊙ gelu_tanh(x₂))), [x₁ | x₂] = up_proj(LN(x))
/// </code>
/// Every LayerNorm is affine-free (eps layer_norm_eps), every projection bias-free; a projection's learned input
/// scale (CastedLinearIn: W ⊙ (1 + s)) is applied as the gain of the norm before it (<see cref="Ops.ScaledLayerNorm"/>).
/// Layer i is global when (i + 1) % local_global_ratio == 0 (RoPE base 160 000, window global_window_length), else
/// local (base 10 000, window local_window_length): a query attends to keys at distance ≤ the window (upstream's
/// padded path: tril(w)·triu(−w); its FlashAttention path uses w − 1). Bidirectional unless is_decoder. Local layers
/// store only the band of attention probabilities (<see cref="AttentionLayout.Band"/>), so long inputs cost memory
/// linear in T there. Positions are 0..T−1 of the padded row, as upstream (right padding: the real tokens' positions;
/// RoPE depends on differences only). Fields nest like the checkpoint keys (no prefix): <c>embedding.*</c>,
/// <c>encoder.layers.{i}.{lambdas, attention.*, mlp.*}</c>; a masked-LM checkpoint's <c>classifier.*</c> is read by the
/// masked-LM head (Skald.Models.MaskedLm.GptBertMaskedLmHead), not here.
/// </summary>
public sealed class GptBert : EncoderModel
{
    private readonly Embedding embedding; // embedding.*
    private readonly Layer[] layers;      // encoder.layers.{i}.*
    private readonly RopeTable localRope, globalRope;
    private readonly GptBertSettings settings;

    /// <summary>Builds the model's parameters through <paramref name="p"/>.</summary>
    public GptBert(TransformerConfig config, ParameterBuilder p) : base(config)
    {
        settings = config.GptBert ?? throw new ModelFormatException($"{config.Source}: not a GPT-BERT config");
        embedding = new Embedding(config, p.Sub("embedding"));
        layers = new Layer[config.NumLayers];
        for (int i = 0; i < layers.Length; i++) layers[i] = new Layer(config, p.Sub("encoder.layers", i));
        Complete(p);
        localRope = new RopeTable(config.HeadSize, GptBertSettings.LocalTheta);
        globalRope = new RopeTable(config.HeadSize, GptBertSettings.GlobalTheta);
    }

    /// <inheritdoc />
    /// <remarks>The per-layer outputs collected are each layer's output as a model of that many layers puts it out (there is no final norm after the layers).</remarks>
    private protected override Variable Run(Tape tape, TokenBatch tokens, BatchRows rows, HiddenStates? hiddenStates)
    {
        var e = embedding.Forward(tape, rows.Select(tokens.Ids), Config.LayerNormEps); // [B·T or N, C]
        // Layer 0's value, the value residual every later layer mixes in (v1): computed before the layers so that it
        // outlives each layer's activations. Layer 0's input is h = e, so its v_in is (1 − λ0)e + λ0e.
        var v1 = layers[0].FirstValue(tape, e);                                    // [B·T, H·D]
        float scale = (float)(1.0 / Math.Sqrt(Config.HeadSize));
        var h = e;
        for (int i = 0; i < layers.Length; i++)
        {
            bool global = settings.IsGlobal(i);
            var scoring = new AttentionScoring(scale, settings.Causal, settings.Window(i) + 1);
            h = Layer(tape, h, new LayerStep(layers[i], e, v1, i == 0, rows, global ? globalRope : localRope, scoring), LayerStep.Run, rows, hiddenStates,
                inputLives: i == 0); // (layer 0's input is e)
        }
        return h;
    }

    /// <summary>A layer and its inputs besides h, for <see cref="Tape.Layer{TState}"/> (kept, or checkpointed).</summary>
    private readonly record struct LayerStep(Layer Layer, Variable Embeddings, Variable V1, bool First, BatchRows Rows,
        RopeTable Rope, AttentionScoring Scoring)
    {
        public static readonly Func<Tape, Variable, LayerStep, Variable> Run =
            static (tape, h, s) => s.Layer.Forward(tape, h, s.Embeddings, s.V1, s.First, s.Rows, s.Rope, s.Scoring);
    }

    /// <summary>
    /// GptBertPreTrainedModel._init_weights for a new model: projection and embedding weights
    /// trunc_normal(0, σ² = 2 / (5·hidden_size), ±2σ), biases 0; the learned gains and mixing weights as the modules
    /// create them: CastedLinearIn scale 1, word_scale 0, q_scale / k_scale 1, layer lambdas [0, 0, 1, 0, 1, 0],
    /// attention lambdas 0.5.
    /// </summary>
    public static ParameterInitializer Initializer(TransformerConfig config, SkaldRandom random) => (key, values) =>
    {
        double std = Math.Sqrt(2.0 / (5.0 * config.HiddenSize));
        if (key.EndsWith(".bias", StringComparison.Ordinal) || key.EndsWith("word_scale", StringComparison.Ordinal))
            values.Clear();
        else if (key.EndsWith("scale", StringComparison.Ordinal)) values.Fill(1f);
        else if (key.EndsWith("attention.lambdas", StringComparison.Ordinal)) values.Fill(0.5f);
        else if (key.EndsWith("lambdas", StringComparison.Ordinal))
            for (int i = 0; i < values.Length; i++) values[i] = i is 2 or 4 ? 1f : 0f;
        else
            for (int i = 0; i < values.Length; i++)
            {
                double z;
                do z = random.NextGaussian(); while (Math.Abs(z) > 2);
                values[i] = (float)(z * std);
            }
    };

    /// <summary>Embedding: word_embedding → affine-free LayerNorm → · (1 + word_scale) → dropout.</summary>
    private sealed class Embedding(TransformerConfig cfg, ParameterBuilder p)
    {
        private readonly Parameter word = p.Table("word_embedding.weight", cfg.VocabSize, cfg.HiddenSize); // [V, C]
        private readonly Parameter wordScale = p.Tensor("word_scale", cfg.HiddenSize);                    // [C]

        public Variable Forward(Tape tape, int[] ids, float eps)
        {
            var x = Ops.Gather(tape, ids, word);
            x = Ops.ScaledLayerNorm(tape, x, x.Cols, eps, wordScale);
            return Ops.Dropout(tape, x, tape.Dropout);
        }
    }

    /// <summary>Layer: the λ-mixing of h with the embedding output around attention and feed-forward.</summary>
    private sealed class Layer
    {
        private readonly Parameter lambdas;     // lambdas: [6]
        private readonly SelfAttention attention; // attention.*
        private readonly FeedForward mlp;         // mlp.*

        public Layer(TransformerConfig cfg, ParameterBuilder p)
        {
            lambdas = p.Tensor("lambdas", 6);
            attention = new SelfAttention(cfg, p.Sub("attention"));
            mlp = new FeedForward(cfg, p.Sub("mlp"));
        }

        /// <summary>Layer 0's value from its input h = e.</summary>
        public Variable FirstValue(Tape tape, Variable e) => attention.Value(tape, Ops.Mix(tape, e, e, lambdas, 0));

        /// <summary>h [B·T, C] → [B·T, C] (unpadded rows: [N, C] → [N, C]).</summary>
        public Variable Forward(Tape tape, Variable h, Variable e, Variable v1, bool first, BatchRows rows, RopeTable rope,
            AttentionScoring scoring)
        {
            var qkIn = Ops.Mix(tape, h, e, lambdas, 1);
            var mlpIn = Ops.Mix(tape, h, e, lambdas, 3, gainIndex: 2);
            var vIn = first ? null : Ops.Mix(tape, h, e, lambdas, 0);
            var a = attention.Forward(tape, vIn, qkIn, v1, rows, rope, scoring);
            mlpIn = Ops.Add(tape, mlpIn, a);
            var residual = Ops.Mix(tape, h, e, lambdas, 5, gainIndex: 4);
            return Ops.Add(tape, Ops.Add(tape, residual, a), mlp.Forward(tape, mlpIn));
        }
    }

    /// <summary>SelfAttention with QK-LayerNorm, RoPE and the value residual.</summary>
    private sealed class SelfAttention
    {
        private readonly Parameter wqk, qkScale;     // qk_proj.weights.{0,1}: [H·D, C] each, stacked [2·H·D, C]; qk_proj.scale: [C]
        private readonly Parameter wv, vScale;       // v_proj.weight: [H·D, C]; v_proj.scale: [C]
        private readonly Parameter wo, oScale;       // out_proj.weight: [C, H·D]; out_proj.scale: [H·D]
        private readonly Parameter qkHeadScale;      // q_scale, k_scale: [H, D] each, stacked [2H, D]
        private readonly Parameter lambdas;          // lambdas: [1]
        private readonly int heads, d, c;
        private readonly float eps;

        public SelfAttention(TransformerConfig cfg, ParameterBuilder p)
        {
            (heads, d, c, eps) = (cfg.NumHeads, cfg.HeadSize, cfg.HiddenSize, cfg.LayerNormEps);
            int hd = heads * d;
            // q and k in one GEMM against [weights.0; weights.1], then one per-head norm and one RoPE over their 2H heads.
            wqk = p.Stack(["qk_proj.weights.0", "qk_proj.weights.1"], "", hd, c).Stacked;
            qkScale = p.Tensor("qk_proj.scale", c);
            wv = p.Tensor("v_proj.weight", hd, c);
            vScale = p.Tensor("v_proj.scale", c);
            wo = p.Tensor("out_proj.weight", c, hd);
            oScale = p.Tensor("out_proj.scale", hd);
            qkHeadScale = p.Stack(["q_scale", "k_scale"], "", heads, d).Stacked;
            lambdas = p.Tensor("lambdas", 1);
        }

        /// <summary>v = v_proj(pre_v_norm(x)): [B·T, C] → [B·T, H·D].</summary>
        public Variable Value(Tape tape, Variable x) => Ops.Linear(tape, Ops.ScaledLayerNorm(tape, x, c, eps, vScale), wv, null);

        /// <summary>vIn (null in layer 0, whose value is v1), qkIn [B·T, C] → [B·T, C] (unpadded rows: N rows).</summary>
        public Variable Forward(Tape tape, Variable? vIn, Variable qkIn, Variable v1, BatchRows rows, RopeTable rope,
            AttentionScoring scoring)
        {
            var v = vIn is null ? v1 : Ops.Mix(tape, Value(tape, vIn), v1, lambdas, 0);
            var n = Ops.ScaledLayerNorm(tape, qkIn, c, eps, qkScale);
            // [q | k] [B·T, 2·H·D] = RoPE((1 + [q_scale | k_scale]) · LN_head(n·[Wq; Wk]ᵀ)), split into q, k [B·T, H·D].
            // (unpadded: each row at its padded row's position, each sequence attending to its own tokens)
            var normed = Ops.ScaledLayerNorm(tape, Ops.Linear(tape, n, wqk, null), d, eps, qkHeadScale);
            var qk = rows.Positions is { } positions ? Ops.Rope(tape, normed, rope, positions) : Ops.Rope(tape, normed, rope, rows.Seq);
            var q = Ops.Columns(tape, qk, 0, heads * d);
            var k = Ops.Columns(tape, qk, heads * d, heads * d);
            var ctx = rows.Unpadded is { } u
                ? Ops.DecoderAttention(tape, q, k, v, u, heads, heads, scoring)
                : Ops.DecoderAttention(tape, q, k, v, rows.MaskBias, rows.Batch, rows.Seq, heads, heads, scoring, tape.Dropout);
            var o = Ops.Linear(tape, Ops.ScaledLayerNorm(tape, ctx, heads * d, eps, oScale), wo, null);
            return Ops.Dropout(tape, o, tape.Dropout);
        }
    }

    /// <summary>FeedForward: GeGLU between affine-free norms.</summary>
    private sealed class FeedForward
    {
        private readonly Parameter up, upScale;     // up_proj.weights.{1,0} stacked gate-first: [2I, C]; up_proj.scale: [C]
        private readonly Parameter down, downScale; // down_proj.weight: [C, I]; down_proj.scale: [I]
        private readonly float eps;

        public FeedForward(TransformerConfig cfg, ParameterBuilder p)
        {
            eps = cfg.LayerNormEps;
            // GeGLU splits [x | gate] = up_proj(x) and returns x ⊙ gelu_tanh(gate); Ops.GatedActivation wants the gate
            // first, so the stacked weight is [weights.1; weights.0].
            up = p.Sub("up_proj").Stack(["weights.1", "weights.0"], "", cfg.IntermediateSize, cfg.HiddenSize).Stacked;
            upScale = p.Tensor("up_proj.scale", cfg.HiddenSize);
            down = p.Tensor("down_proj.weight", cfg.HiddenSize, cfg.IntermediateSize);
            downScale = p.Tensor("down_proj.scale", cfg.IntermediateSize);
        }

        public Variable Forward(Tape tape, Variable x)
        {
            var gu = Ops.Linear(tape, Ops.ScaledLayerNorm(tape, x, x.Cols, eps, upScale), up, null); // [B·T, 2I]
            var g = Ops.GatedActivation(tape, gu, GateFunction.GeluTanh);                              // [B·T, I]
            var o = Ops.Linear(tape, Ops.ScaledLayerNorm(tape, g, g.Cols, eps, downScale), down, null);
            return Ops.Dropout(tape, o, tape.Dropout);
        }
    }
}
