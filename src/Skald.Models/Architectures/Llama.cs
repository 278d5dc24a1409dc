using Skald.Models.Checkpoints;
using Skald.Models.Generation;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;

namespace Skald.Models.Architectures;

/// <summary>
/// LlamaModel and the decoders that differ from it only in details (model_type llama, mistral, qwen2, qwen3), from
/// transformers' modeling_llama.py
/// (https://github.com/huggingface/transformers/blob/0022728/src/transformers/models/llama/modeling_llama.py),
/// modeling_mistral.py (sliding_window on every layer;
/// https://github.com/huggingface/transformers/blob/93e0020/src/transformers/models/mistral/modeling_mistral.py),
/// modeling_qwen2.py (q/k/v biases, no o_proj bias;
/// https://github.com/huggingface/transformers/blob/00d4b3d/src/transformers/models/qwen2/modeling_qwen2.py) and
/// modeling_qwen3.py (RMSNorm of q and k per head before RoPE;
/// https://github.com/huggingface/transformers/blob/000c33f/src/transformers/models/qwen3/modeling_qwen3.py):
/// embed_tokens → layer × L (x + attn(input_layernorm(x)); x + mlp(post_attention_layernorm(x))) → norm, the
/// last_hidden_state. Fields nest like the checkpoint keys (<c>model.</c> stripped): <c>embed_tokens.weight</c>,
/// <c>layers.{i}.self_attn.{q,k,v,o}_proj</c>, <c>layers.{i}.mlp.{gate,up,down}_proj</c>,
/// <c>layers.{i}.{input,post_attention}_layernorm</c>, <c>norm.weight</c>, <c>lm_head.weight</c>. Positions are
/// 0..T−1 in every sequence (transformers' default position_ids). One definition for inference and training.
/// </summary>
public sealed class Llama : DecoderModel
{
    private readonly Layer[] layers;          // layers.{i}.*
    private readonly Parameter norm;          // norm.weight: [C]
    private readonly RopeTable rope;

    /// <summary>Builds the model's parameters through <paramref name="p"/> (keys without the <c>model.</c> prefix).</summary>
    public Llama(TransformerConfig config, ParameterBuilder p)
        : base(config, p.Table("embed_tokens.weight", config.VocabSize, config.HiddenSize))
    {
        var gate = ActivationNames.GateFromHiddenAct(config.HiddenAct, config.Source);
        layers = new Layer[config.NumLayers];
        for (int i = 0; i < layers.Length; i++) layers[i] = new Layer(config, p.Sub("layers", i), gate, i);
        norm = p.Tensor("norm.weight", config.HiddenSize);
        Complete(p);
        rope = new RopeTable(config.HeadSize, config.RopeTheta, config.RopeScaling, config.PartialRotaryFactor);
    }

    /// <inheritdoc />
    private protected override Variable Run(Tape tape, TokenBatch tokens, KvCache? cache, HiddenStates? hiddenStates)
    {
        DecoderSelfAttention.CheckCache(tape, cache, AttentionMode);
        cache?.Begin(tokens);
        // Inference without a cache skips the padding (BatchRows): [N, C] through the layers, [B·T, C] out.
        var rows = BatchRows.For(tape, tokens, mayUnpad: cache is null);
        var x = Ops.Gather(tape, rows.Select(tokens.Ids), EmbedTokens); // [B·T or N, C]
        float scale = DecoderSelfAttention.Scale(Config);
        for (int i = 0; i < layers.Length; i++)
        {
            var scoring = new AttentionScoring(scale, AttentionMode == AttentionMode.Causal,
                Config.IsSliding(i) ? Config.SlidingWindow : 0, Config.AttnLogitSoftcapping);
            // (before the final norm, as the model's hidden_states)
            x = LayerStack.Next(tape, x, new LayerStep(layers[i], rows, rope, scoring, cache), LayerStep.Run, rows, hiddenStates);
        }
        cache?.Commit(tokens);
        return rows.Restore(tape, Ops.RmsNorm(tape, x, norm, Config.RmsNormEps));
    }

    /// <summary>A layer and its inputs besides x, for <see cref="Tape.Layer{TState}"/> (kept, or checkpointed).</summary>
    private readonly record struct LayerStep(Layer Layer, BatchRows Rows, RopeTable Rope, AttentionScoring Scoring, KvCache? Cache)
    {
        public static readonly Func<Tape, Variable, LayerStep, Variable> Run =
            static (tape, x, s) => s.Layer.Forward(tape, x, s.Rows, s.Rope, s.Scoring, s.Cache);
    }

    /// <summary>
    /// transformers' LlamaPreTrainedModel._init_weights for a new model: Linear and Embedding weights
    /// N(0, initializer_range²), biases 0, RMSNorm weights 1. (The padding row of embed_tokens is not zeroed: decoder
    /// configs rarely name a pad_token_id.)
    /// </summary>
    public static ParameterInitializer Initializer(TransformerConfig config, SkaldRandom random) => (key, values) =>
    {
        if (key.EndsWith(".bias", StringComparison.Ordinal)) values.Clear();
        else if (key.EndsWith("norm.weight", StringComparison.Ordinal)) values.Fill(1f);
        else for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextGaussian() * config.InitializerRange);
    };

    /// <summary>LlamaDecoderLayer (pre-norm residual blocks).</summary>
    private sealed class Layer
    {
        private readonly TransformerConfig cfg;
        private readonly Parameter inputNorm;             // input_layernorm.weight: [C]
        private readonly DecoderSelfAttention attention;  // self_attn.*
        private readonly Parameter postAttentionNorm;     // post_attention_layernorm.weight: [C]
        private readonly GatedMlp mlp;                    // mlp.*

        public Layer(TransformerConfig cfg, ParameterBuilder p, GateFunction gate, int index)
        {
            this.cfg = cfg;
            bool qwen2 = cfg.ModelType == "qwen2";
            inputNorm = p.Tensor("input_layernorm.weight", cfg.HiddenSize);
            // Qwen2 always has q/k/v biases and never an o_proj bias; Mistral reads no attention_bias key (false).
            attention = new DecoderSelfAttention(cfg, p.Sub("self_attn"), qkvBias: qwen2 || cfg.AttentionBias,
                oBiasOn: !qwen2 && cfg.AttentionBias, qkNorm: cfg.ModelType == "qwen3", normOffset: 0f, index);
            postAttentionNorm = p.Tensor("post_attention_layernorm.weight", cfg.HiddenSize);
            mlp = new GatedMlp(cfg, p.Sub("mlp"), gate);
        }

        /// <summary>x [B·T, C] → [B·T, C] (unpadded rows: [N, C] → [N, C]).</summary>
        public Variable Forward(Tape tape, Variable x, BatchRows rows, RopeTable rope, AttentionScoring scoring, KvCache? cache)
        {
            var ctx = attention.Context(tape, Ops.RmsNorm(tape, x, inputNorm, cfg.RmsNormEps), rows, rope, scoring, cache);
            // h = x + o_proj(ctx); h + mlp(post_attention_layernorm(h)): three parallel regions, the adds, the norm and the
            // gate in the products' row finishes, where the six-term AMX product runs them at inference
            // (Ops.DecoderOutputFeedForward: the same bits as the ops one by one).
            return Ops.DecoderOutputFeedForward(tape, ctx, x, attention.Output, attention.OutputBias, postAttentionNorm,
                cfg.RmsNormEps, mlp.GateUp, mlp.GateUpBias, mlp.Function, mlp.Down, mlp.DownBias);
        }
    }
}
