using Skald.Models.Checkpoints;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;

namespace Skald.Models.Architectures;

/// <summary>
/// ModernBertModel (answerdotai/ModernBERT-*, jhu-clsp/mmBERT-*, Fremtind/mmBERT-base-norwegian), following
/// transformers' modeling_modernbert.py, padded (sdpa / eager) path
/// (https://github.com/huggingface/transformers/blob/000c33fdfde12e1ffafbfcdb3c926df5727a00b6/src/transformers/models/modernbert/modeling_modernbert.py;
/// the same model as modular_modernbert.py at
/// https://github.com/huggingface/transformers/blob/001f85b38fb432858ace93f18622f07cec46d874/src/transformers/models/modernbert/modular_modernbert.py):
/// embeddings = LayerNorm(tok_embeddings[id]) → layer × L (x + attn(attn_norm(x)), then x + mlp(mlp_norm(x)); layer 0's
/// attn_norm is the identity) → final_norm, the last_hidden_state. Attention: one fused Wqkv projection, RoPE on q and
/// k (rotate-half, positions 0..T−1 of the padded row), bidirectional softmax(q·kᵀ/√D + padding mask)·v, Wo. Layer i is
/// global when i % global_attn_every_n_layers == 0 (RoPE base global_rope_theta, every key), else local (RoPE base
/// local_rope_theta, keys with |t − s| ≤ local_attention // 2). MLP: Wi gives [input; gate] ([2I, C]), Wo(act(input) ⊙
/// gate) (GeGLU with hidden_activation gelu). LayerNorms have a bias only with norm_bias, linears only with
/// attention_bias / mlp_bias. Fields nest like the checkpoint keys (<c>model.</c> stripped): <c>embeddings.tok_embeddings</c>,
/// <c>embeddings.norm</c>, <c>layers.{i}.{attn_norm, attn.Wqkv, attn.Wo, mlp_norm, mlp.Wi, mlp.Wo}</c>, <c>final_norm</c>.
/// One definition for inference and training: on a recording tape with <see cref="Tape.Dropout"/> &gt; 0 the attention
/// probabilities are dropped (attention_dropout's place; ModernBERT's embedding / MLP / output dropouts default to 0 and
/// are not applied).
/// </summary>
public sealed class ModernBert : EncoderModel
{
    private readonly Parameter embedNorm;           // embeddings.norm.weight: [C]
    private readonly Parameter? embedNormBias;      // embeddings.norm.bias: [C] (norm_bias)
    private readonly Layer[] layers;                // layers.{i}.*
    private readonly Parameter finalNorm;           // final_norm.weight: [C]
    private readonly Parameter? finalNormBias;      // final_norm.bias: [C] (norm_bias)
    private readonly RopeTable globalRope, localRope;

    /// <summary>Builds the model's parameters through <paramref name="p"/> (keys without the <c>model.</c> prefix).</summary>
    public ModernBert(TransformerConfig config, ParameterBuilder p) : base(config)
    {
        int c = config.HiddenSize;
        var embeddings = p.Sub("embeddings");
        TokEmbeddings = embeddings.Table("tok_embeddings.weight", config.VocabSize, c);
        (embedNorm, embedNormBias) = Norm(config, embeddings, "norm");
        var gate = ActivationNames.GateFromHiddenAct(config.HiddenAct, config.Source, "hidden_activation");
        layers = new Layer[config.NumLayers];
        for (int i = 0; i < layers.Length; i++) layers[i] = new Layer(config, p.Sub("layers", i), i, gate);
        (finalNorm, finalNormBias) = Norm(config, p, "final_norm");
        Complete(p);
        globalRope = new RopeTable(config.HeadSize, config.RopeTheta);
        localRope = new RopeTable(config.HeadSize, config.RopeLocalTheta);
    }

    /// <summary>embeddings.tok_embeddings.weight [V, C] (tied to the masked-LM decoder).</summary>
    public Parameter TokEmbeddings { get; }

    /// <inheritdoc />
    /// <remarks>Unpadded in inference as transformers' ModernBERT unpads too.</remarks>
    private protected override Variable Run(Tape tape, TokenBatch tokens, BatchRows rows, HiddenStates? hiddenStates)
    {
        // ModernBertEmbeddings: LayerNorm(tok_embeddings[id]) (embedding_dropout not applied).    [B·T or N, C]
        var x = Ops.LayerNormalization(tape, Ops.Gather(tape, rows.Select(tokens.Ids), TokEmbeddings), embedNorm, embedNormBias, Config.LayerNormEps);
        float scale = (float)(1.0 / Math.Sqrt(Config.HeadSize));
        for (int i = 0; i < layers.Length; i++)
        {
            bool local = Config.IsSliding(i);
            var scoring = new AttentionScoring(scale, Causal: false, Window: local ? Config.SlidingWindow : 0);
            // each layer's output before final_norm, as ModernBertModel's all_hidden_states
            x = Layer(tape, x, new LayerStep(layers[i], rows, local ? localRope : globalRope, scoring), LayerStep.Run, rows, hiddenStates);
        }
        return Ops.LayerNormalization(tape, x, finalNorm, finalNormBias, Config.LayerNormEps);
    }

    /// <summary>A layer and its inputs besides x, for <see cref="Tape.Layer{TState}"/> (kept, or checkpointed).</summary>
    private readonly record struct LayerStep(Layer Layer, BatchRows Rows, RopeTable Rope, AttentionScoring Scoring)
    {
        public static readonly Func<Tape, Variable, LayerStep, Variable> Run =
            static (tape, x, s) => s.Layer.Forward(tape, x, s.Rows, s.Rope, s.Scoring);
    }

    /// <summary>
    /// ModernBertPreTrainedModel._init_weights for a new model: truncated normal N(0, std²) cut at ±initializer_cutoff_factor·std
    /// (resampled outside, the distribution of torch's trunc_normal_, not its random stream) with std initializer_range
    /// for tok_embeddings, attn.Wqkv and mlp.Wi, initializer_range / √(2·num_hidden_layers) for attn.Wo, mlp.Wo and the
    /// masked-LM head's dense; LayerNorm weights 1, biases 0. (The padding row of tok_embeddings is not zeroed:
    /// _init_weights overwrites nn.Embedding's zero row too.)
    /// </summary>
    public static ParameterInitializer Initializer(TransformerConfig config, SkaldRandom random) => (key, values) =>
    {
        if (key.EndsWith(".bias", StringComparison.Ordinal)) values.Clear();
        else if (key.EndsWith("norm.weight", StringComparison.Ordinal)) values.Fill(1f);
        else
        {
            bool output = key.EndsWith(".Wo.weight", StringComparison.Ordinal) || key == "head.dense.weight";
            double std = output ? config.InitializerRange / Math.Sqrt(2.0 * config.NumLayers) : config.InitializerRange;
            double bound = config.InitializerCutoffFactor * std;
            for (int i = 0; i < values.Length; i++)
            {
                double v;
                do v = random.NextGaussian() * std; while (Math.Abs(v) > bound);
                values[i] = (float)v;
            }
        }
    };

    /// <summary>A LayerNorm's <c>{name}.weight</c> and, with norm_bias, <c>{name}.bias</c>.</summary>
    internal static (Parameter Weight, Parameter? Bias) Norm(TransformerConfig cfg, ParameterBuilder p, string name) =>
        (p.Tensor(name + ".weight", cfg.HiddenSize), cfg.NormBias ? p.Tensor(name + ".bias", cfg.HiddenSize) : null);

    /// <summary>ModernBertEncoderLayer: pre-norm attention and MLP residual blocks.</summary>
    private sealed class Layer
    {
        private readonly TransformerConfig cfg;
        private readonly GateFunction gate;
        private readonly Parameter? attnNorm, attnNormBias;  // attn_norm.{weight,bias}: [C] (absent on layer 0: Identity)
        private readonly Parameter wqkv;                     // attn.Wqkv.weight: [3C, C] (rows: q, k, v; heads inside each)
        private readonly Parameter? wqkvBias;                // attn.Wqkv.bias: [3C] (attention_bias)
        private readonly Parameter wo;                       // attn.Wo.weight: [C, C]
        private readonly Parameter? woBias;                  // attn.Wo.bias: [C] (attention_bias)
        private readonly Parameter mlpNorm;                  // mlp_norm.weight: [C]
        private readonly Parameter? mlpNormBias;             // mlp_norm.bias: [C] (norm_bias)
        private readonly Parameter wi;                       // mlp.Wi.weight: [2I, C] (rows: input, then gate)
        private readonly Parameter? wiBias;                  // mlp.Wi.bias: [2I] (mlp_bias)
        private readonly Parameter mlpWo;                    // mlp.Wo.weight: [C, I]
        private readonly Parameter? mlpWoBias;               // mlp.Wo.bias: [C] (mlp_bias)

        public Layer(TransformerConfig cfg, ParameterBuilder p, int index, GateFunction gate)
        {
            this.cfg = cfg;
            this.gate = gate;
            int c = cfg.HiddenSize, inter = cfg.IntermediateSize;
            if (index > 0) (attnNorm, attnNormBias) = Norm(cfg, p, "attn_norm");
            var attn = p.Sub("attn");
            wqkv = attn.Tensor("Wqkv.weight", 3 * c, c);
            wqkvBias = cfg.AttentionBias ? attn.Tensor("Wqkv.bias", 3 * c) : null;
            wo = attn.Tensor("Wo.weight", c, c);
            woBias = cfg.AttentionBias ? attn.Tensor("Wo.bias", c) : null;
            (mlpNorm, mlpNormBias) = Norm(cfg, p, "mlp_norm");
            var mlp = p.Sub("mlp");
            wi = mlp.Tensor("Wi.weight", 2 * inter, c);
            wiBias = cfg.MlpBias ? mlp.Tensor("Wi.bias", 2 * inter) : null;
            mlpWo = mlp.Tensor("Wo.weight", c, inter);
            mlpWoBias = cfg.MlpBias ? mlp.Tensor("Wo.bias", c) : null;
        }

        /// <summary>x [B·T, C] → [B·T, C] (unpadded rows: [N, C] → [N, C]).</summary>
        public Variable Forward(Tape tape, Variable x, BatchRows rows, RopeTable rope, AttentionScoring scoring)
        {
            int heads = cfg.NumHeads;
            var h = attnNorm is null ? x : Ops.LayerNormalization(tape, x, attnNorm, attnNormBias, cfg.LayerNormEps);
            // ModernBertAttention: qkv [B·T, 3C] = h·Wqkvᵀ; q, k rotated (in place when nothing records); ctx [B·T, C]
            // = attention per head reading q, k, v from qkv's columns; Wo.
            var qkv = Ops.Linear(tape, h, wqkv, wqkvBias);
            var ctx = rows.Unpadded is { } u && rows.Positions is { } positions
                ? Ops.FusedQkvAttention(tape, Ops.RopeQk(tape, qkv, rope, positions), u, heads, scoring)
                : Ops.FusedQkvAttention(tape, Ops.RopeQk(tape, qkv, rope, rows.Seq), rows.MaskBias, rows.Batch, rows.Seq, heads, scoring, tape.Dropout);
            var a = Ops.Add(tape, x, Ops.Linear(tape, ctx, wo, woBias));
            // ModernBertMLP: Wo(act(input) ⊙ gate), [input; gate] = mlp_norm(a)·Wiᵀ.                    [B·T, C]
            var m = Ops.LinearGated(tape, Ops.LayerNormalization(tape, a, mlpNorm, mlpNormBias, cfg.LayerNormEps), wi, wiBias, gate);
            var y = Ops.Linear(tape, m, mlpWo, mlpWoBias);
            return Ops.Add(tape, a, y);
        }
    }
}
