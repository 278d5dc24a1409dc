using Skald.Models.Checkpoints;
using Skald.Models.Generation;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;

namespace Skald.Models.Architectures;

/// <summary>
/// GemmaModel, Gemma2Model and Gemma3TextModel (model_type gemma, gemma2, gemma3_text), from transformers'
/// modeling_gemma.py, modeling_gemma2.py
/// (https://github.com/huggingface/transformers/blob/006e869/src/transformers/models/gemma2/modeling_gemma2.py) and
/// modeling_gemma3.py (https://github.com/huggingface/transformers/blob/f14d0cb/src/transformers/models/gemma3/modeling_gemma3.py):
/// embed_tokens scaled by √C → layer × L → norm. RMSNorm multiplies by (1 + w); the MLP is GeGLU (hidden_activation).
/// Gemma: x + attn(input_layernorm(x)); x + mlp(post_attention_layernorm(x)). Gemma 2/3 add norms after the attention
/// and around the MLP: x + post_attention_layernorm(attn(input_layernorm(x))),
/// x + post_feedforward_layernorm(mlp(pre_feedforward_layernorm(x))); the attention scale is query_pre_attn_scalar^−½,
/// sliding-window layers alternate with global ones (Gemma 2: even layers; Gemma 3: layer_types /
/// sliding_window_pattern), Gemma 2 soft-caps attention logits and the LM head's logits, Gemma 3 normalises q and k per
/// head (1 + w) and gives its sliding layers their own RoPE base (rope_local_base_freq, no scaling). Fields nest like
/// the checkpoint keys (<c>model.</c> stripped), as in <see cref="Llama"/>.
/// </summary>
public sealed class Gemma : DecoderModel
{
    private readonly Layer[] layers;          // layers.{i}.*
    private readonly Parameter norm;          // norm.weight: [C]
    private readonly RopeTable rope, localRope;
    private readonly float embedScale;

    /// <summary>Builds the model's parameters through <paramref name="p"/> (keys without the <c>model.</c> prefix).</summary>
    public Gemma(TransformerConfig config, ParameterBuilder p)
        : base(config, p.Table("embed_tokens.weight", config.VocabSize, config.HiddenSize))
    {
        var gate = ActivationNames.GateFromHiddenAct(config.HiddenAct, config.Source, "hidden_activation");
        layers = new Layer[config.NumLayers];
        for (int i = 0; i < layers.Length; i++) layers[i] = new Layer(config, p.Sub("layers", i), gate, i);
        norm = p.Tensor("norm.weight", config.HiddenSize);
        Complete(p);
        rope = new RopeTable(config.HeadSize, config.RopeTheta, config.RopeScaling, config.PartialRotaryFactor);
        localRope = config.ModelType == "gemma3_text"
            ? new RopeTable(config.HeadSize, config.RopeLocalTheta, null, config.PartialRotaryFactor)
            : rope;
        embedScale = (float)Math.Sqrt(config.HiddenSize); // transformers: torch.tensor(hidden ** 0.5, dtype of the weights)
        if (config.UseBidirectionalAttention) AttentionMode = AttentionMode.Bidirectional; // EmbeddingGemma
    }

    /// <inheritdoc />
    private protected override Variable Run(Tape tape, TokenBatch tokens, KvCache? cache, HiddenStates? hiddenStates)
    {
        DecoderSelfAttention.CheckCache(tape, cache, AttentionMode);
        cache?.Begin(tokens);
        // Inference without a cache skips the padding (BatchRows): [N, C] through the layers, [B·T, C] out.
        var rows = BatchRows.For(tape, tokens, mayUnpad: cache is null);
        var x = Ops.Scale(tape, Ops.Gather(tape, rows.Select(tokens.Ids), EmbedTokens), embedScale); // [B·T or N, C]
        float scale = DecoderSelfAttention.Scale(Config);
        for (int i = 0; i < layers.Length; i++)
        {
            bool sliding = Config.IsSliding(i);
            var scoring = new AttentionScoring(scale, AttentionMode == AttentionMode.Causal,
                sliding ? Config.SlidingWindow : 0, Config.AttnLogitSoftcapping);
            // (before the final norm, as the model's hidden_states)
            x = LayerStack.Next(tape, x, new LayerStep(layers[i], rows, sliding ? localRope : rope, scoring, cache),
                LayerStep.Run, rows, hiddenStates);
        }
        cache?.Commit(tokens);
        return rows.Restore(tape, Ops.RmsNorm(tape, x, norm, Config.RmsNormEps, weightOffset: 1f));
    }

    /// <summary>A layer and its inputs besides x, for <see cref="Tape.Layer{TState}"/> (kept, or checkpointed).</summary>
    private readonly record struct LayerStep(Layer Layer, BatchRows Rows, RopeTable Rope, AttentionScoring Scoring, KvCache? Cache)
    {
        public static readonly Func<Tape, Variable, LayerStep, Variable> Run =
            static (tape, x, s) => s.Layer.Forward(tape, x, s.Rows, s.Rope, s.Scoring, s.Cache);
    }

    /// <summary>
    /// transformers' GemmaPreTrainedModel._init_weights: Linear and Embedding weights N(0, initializer_range²), biases 0,
    /// RMSNorm weights 0 (the norm multiplies by 1 + w).
    /// </summary>
    public static ParameterInitializer Initializer(TransformerConfig config, SkaldRandom random) => (key, values) =>
    {
        if (key.EndsWith(".bias", StringComparison.Ordinal) || key.EndsWith("norm.weight", StringComparison.Ordinal)) values.Clear();
        else for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextGaussian() * config.InitializerRange);
    };

    /// <summary>GemmaDecoderLayer / Gemma2DecoderLayer / Gemma3DecoderLayer.</summary>
    private sealed class Layer
    {
        private readonly TransformerConfig cfg;
        private readonly Parameter inputNorm;              // input_layernorm.weight: [C]
        private readonly DecoderSelfAttention attention;   // self_attn.*
        private readonly Parameter postAttentionNorm;      // post_attention_layernorm.weight: [C]
        private readonly Parameter? preFeedforwardNorm;    // pre_feedforward_layernorm.weight: [C] (Gemma 2/3)
        private readonly Parameter? postFeedforwardNorm;   // post_feedforward_layernorm.weight: [C] (Gemma 2/3)
        private readonly GatedMlp mlp;                     // mlp.*

        public Layer(TransformerConfig cfg, ParameterBuilder p, GateFunction gate, int index)
        {
            this.cfg = cfg;
            inputNorm = p.Tensor("input_layernorm.weight", cfg.HiddenSize);
            attention = new DecoderSelfAttention(cfg, p.Sub("self_attn"), qkvBias: cfg.AttentionBias,
                oBiasOn: cfg.AttentionBias, qkNorm: cfg.ModelType == "gemma3_text", normOffset: 1f, index);
            postAttentionNorm = p.Tensor("post_attention_layernorm.weight", cfg.HiddenSize);
            if (cfg.ModelType != "gemma")
            {
                preFeedforwardNorm = p.Tensor("pre_feedforward_layernorm.weight", cfg.HiddenSize);
                postFeedforwardNorm = p.Tensor("post_feedforward_layernorm.weight", cfg.HiddenSize);
            }
            mlp = new GatedMlp(cfg, p.Sub("mlp"), gate);
        }

        /// <summary>x [B·T, C] → [B·T, C] (unpadded rows: [N, C] → [N, C]).</summary>
        public Variable Forward(Tape tape, Variable x, BatchRows rows, RopeTable rope, AttentionScoring scoring, KvCache? cache)
        {
            float eps = cfg.RmsNormEps;
            var a = attention.Forward(tape, Ops.RmsNorm(tape, x, inputNorm, eps, 1f), rows, rope, scoring, cache);
            if (preFeedforwardNorm is null || postFeedforwardNorm is null)
            {
                var h1 = Ops.Add(tape, x, a);
                return Ops.Add(tape, h1, mlp.Forward(tape, Ops.RmsNorm(tape, h1, postAttentionNorm, eps, 1f)));
            }
            var h = Ops.Add(tape, x, Ops.RmsNorm(tape, a, postAttentionNorm, eps, 1f));
            var m = mlp.Forward(tape, Ops.RmsNorm(tape, h, preFeedforwardNorm, eps, 1f));
            return Ops.Add(tape, h, Ops.RmsNorm(tape, m, postFeedforwardNorm, eps, 1f));
        }
    }
}
