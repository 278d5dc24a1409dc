using Skald.Models.Checkpoints;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;

namespace Skald.Models.Architectures;

/// <summary>
/// DistilBertModel (model_type distilbert: distilbert-base-*, sentence-transformers' distiluse-base-multilingual-cased
/// v1/v2 and multi-qa-distilbert-cos-v1, fine-tuned Nordic DistilBERTs), following transformers' modeling_distilbert.py
/// (https://github.com/huggingface/transformers/blob/e368c1a8819d54720956961ea7cd47d99239bd39/src/transformers/models/distilbert/modeling_distilbert.py):
/// Embeddings (LayerNorm(word[id] + position[pos]), no token types) → TransformerBlock × n_layers, each post-LayerNorm
/// like BERT's layer: sa_layer_norm(out_lin(attention(x)) + x), then output_layer_norm(lin2(act(lin1(h))) + h). The
/// fields nest like the checkpoint keys (<c>distilbert.</c> stripped, the *For* heads' prefix; a DistilBertModel folder
/// has none): <c>embeddings.{word_embeddings,position_embeddings,LayerNorm}</c>,
/// <c>transformer.layer.{i}.attention.{q_lin,k_lin,v_lin,out_lin}</c>, <c>.sa_layer_norm</c>, <c>.ffn.{lin1,lin2}</c>,
/// <c>.output_layer_norm</c>. Every LayerNorm's epsilon is 1e-12 (upstream's constant, not a config key).
/// Positions count each row's real tokens (<see cref="TokenBatch.Positions"/>): upstream's arange(T) for right-padded
/// rows, and a left-padded row gets the states it has alone. One definition for inference and training: on a tape that
/// records, dropout (<see cref="Tape.Dropout"/>) acts where upstream's train mode applies <c>dropout</c> (the
/// embeddings, the FFN output) and <c>attention_dropout</c> (the attention probabilities); unlike BERT there is none
/// on the attention output projection. With <c>sinusoidal_pos_embds</c> the position table is upstream's fixed
/// sinusoidal one: read from the checkpoint as transformers loads it (save_pretrained stores it), computed for a new
/// model or a checkpoint without the key (<see cref="SinusoidalTable"/>), and never trained (RequiresGrad false, as upstream's requires_grad=False).
/// DistilBertForMaskedLM's head is <see cref="MaskedLm.DistilBertMaskedLmHead"/>.
/// </summary>
public sealed class DistilBert : EncoderModel
{
    private readonly Embeddings embeddings;       // embeddings.*
    private readonly Block[] layers;              // transformer.layer.{i}.*

    /// <summary>Builds the model's parameters through <paramref name="p"/> (keys without the <c>distilbert.</c> prefix).</summary>
    public DistilBert(TransformerConfig config, ParameterBuilder p) : base(config)
    {
        embeddings = new Embeddings(config, p.Sub("embeddings"));
        var transformer = p.Sub("transformer");
        var act = ActivationNames.FromHiddenAct(config.HiddenAct, config.Source, "activation");
        layers = new Block[config.NumLayers];
        for (int i = 0; i < layers.Length; i++) layers[i] = new Block(config, transformer.Sub("layer", i), act);
        Complete(p);
    }

    /// <summary>The word-embedding table [V, C] (tied to DistilBertForMaskedLM's vocab_projector).</summary>
    public Parameter WordEmbeddings => embeddings.Word;

    /// <inheritdoc />
    private protected override Variable Run(Tape tape, TokenBatch tokens, BatchRows rows, HiddenStates? hiddenStates)
    {
        var x = embeddings.Forward(tape, rows.Select(tokens.Ids), rows.Select(tokens.Positions)); // [B·T or N, C]
        foreach (var layer in layers) x = Layer(tape, x, new LayerStep(layer, rows), LayerStep.Run, rows, hiddenStates);
        return x;
    }

    /// <summary>A block and its inputs besides x, for <see cref="Tape.Layer{TState}"/> (kept, or checkpointed).</summary>
    private readonly record struct LayerStep(Block Block, BatchRows Rows)
    {
        public static readonly Func<Tape, Variable, LayerStep, Variable> Run = static (tape, x, s) => s.Block.Forward(tape, x, s.Rows);
    }

    /// <summary>
    /// transformers' DistilBertPreTrainedModel._init_weights, which is BERT's: Linear and Embedding weights
    /// N(0, initializer_range²), biases 0, LayerNorm weight 1 and bias 0, the padding row of the word embeddings 0.
    /// </summary>
    public static ParameterInitializer Initializer(TransformerConfig config, SkaldRandom random)
    {
        var bert = BertModel.Initializer(config, random, config.InitializerRange);
        return (key, values) =>
        {
            if (config.SinusoidalPositions && key == PositionKey) SinusoidalTable(values, config.HiddenSize);
            else bert(key, values);
        };
    }

    private const string PositionKey = "embeddings.position_embeddings.weight";

    /// <summary>
    /// Upstream's create_sinusoidal_embeddings into <paramref name="table"/> [P, <paramref name="dim"/>]: with
    /// a = pos / 10000^(2·(j / 2) / dim) in double precision, column j holds sin(a) when j is even, cos(a) when odd.
    /// </summary>
    public static void SinusoidalTable(Span<float> table, int dim)
    {
        for (int pos = 0; pos < table.Length / dim; pos++)
            for (int j = 0; j < dim; j++)
            {
                double angle = pos / Math.Pow(10000, 2.0 * (j / 2) / dim);
                table[pos * dim + j] = (float)(j % 2 == 0 ? Math.Sin(angle) : Math.Cos(angle));
            }
    }

    /// <summary>Embeddings: dropout(LayerNorm(word[id] + position[pos])).</summary>
    private sealed class Embeddings(TransformerConfig cfg, ParameterBuilder p)
    {
        public readonly Parameter Word = p.Table("word_embeddings.weight", cfg.VocabSize, cfg.HiddenSize);      // [V, C]
        private readonly Parameter position = Positions(cfg, p);                                                  // [P, C]
        private readonly Parameter lnWeight = p.Tensor("LayerNorm.weight", cfg.HiddenSize);                       // [C]
        private readonly Parameter lnBias = p.Tensor("LayerNorm.bias", cfg.HiddenSize);                           // [C]

        /// <summary>
        /// position_embeddings.weight; fixed (not trained) when sinusoidal, and then computed when the checkpoint lacks
        /// it, as transformers' _init_weights fills a missing sinusoidal table (create_sinusoidal_embeddings).
        /// </summary>
        private static Parameter Positions(TransformerConfig cfg, ParameterBuilder p)
        {
            const string leaf = "position_embeddings.weight";
            if (!cfg.SinusoidalPositions) return p.Table(leaf, cfg.MaxPositionEmbeddings, cfg.HiddenSize, leaveInFile: false);
            var table = p.HasCheckpoint && !p.Contains(leaf)
                ? p.Computed(leaf, (_, values) => SinusoidalTable(values, cfg.HiddenSize), cfg.MaxPositionEmbeddings, cfg.HiddenSize)
                : p.Table(leaf, cfg.MaxPositionEmbeddings, cfg.HiddenSize, leaveInFile: false);
            table.IsTable = true;
            table.RequiresGrad = false;
            return table;
        }

        public Variable Forward(Tape tape, int[] ids, int[] positions)
        {
            var sum = Ops.Add(tape, Ops.Gather(tape, ids, Word), Ops.Gather(tape, positions, position));
            return Ops.Dropout(tape, Ops.LayerNormalization(tape, sum, lnWeight, lnBias, cfg.LayerNormEps), tape.Dropout);
        }
    }

    /// <summary>
    /// TransformerBlock = MultiHeadSelfAttention (q_lin, k_lin, v_lin stored side by side: one GEMM; out_lin),
    /// sa_layer_norm, FFN (lin1, activation, lin2), output_layer_norm.
    /// </summary>
    private sealed class Block
    {
        private readonly TransformerConfig cfg;
        private readonly ActivationKind act;
        private readonly Parameter qkvWeight, qkvBias;             // attention.{q_lin,k_lin,v_lin}: [3C, C], [3C]
        private readonly Parameter outWeight, outBias;             // attention.out_lin: [C, C], [C]
        private readonly Parameter saLnWeight, saLnBias;           // sa_layer_norm: [C]
        private readonly Parameter lin1Weight, lin1Bias;           // ffn.lin1: [hidden_dim, C], [hidden_dim]
        private readonly Parameter lin2Weight, lin2Bias;           // ffn.lin2: [C, hidden_dim], [C]
        private readonly Parameter outLnWeight, outLnBias;         // output_layer_norm: [C]

        public Block(TransformerConfig cfg, ParameterBuilder p, ActivationKind act)
        {
            this.cfg = cfg;
            this.act = act;
            int c = cfg.HiddenSize, inner = cfg.IntermediateSize;
            var attention = p.Sub("attention");
            string[] qkv = ["q_lin", "k_lin", "v_lin"];
            qkvWeight = attention.Stack(qkv, "weight", c, c).Stacked;
            qkvBias = attention.Stack(qkv, "bias", c).Stacked;
            outWeight = attention.Tensor("out_lin.weight", c, c);
            outBias = attention.Tensor("out_lin.bias", c);
            saLnWeight = p.Tensor("sa_layer_norm.weight", c);
            saLnBias = p.Tensor("sa_layer_norm.bias", c);
            var ffn = p.Sub("ffn");
            lin1Weight = ffn.Tensor("lin1.weight", inner, c);
            lin1Bias = ffn.Tensor("lin1.bias", inner);
            lin2Weight = ffn.Tensor("lin2.weight", c, inner);
            lin2Bias = ffn.Tensor("lin2.bias", c);
            outLnWeight = p.Tensor("output_layer_norm.weight", c);
            outLnBias = p.Tensor("output_layer_norm.bias", c);
        }

        /// <summary>x [B·T, C] → [B·T, C] (unpadded rows: [N, C] → [N, C]).</summary>
        public Variable Forward(Tape tape, Variable x, BatchRows rows)
        {
            float p = tape.Dropout;
            // MultiHeadSelfAttention: qkv [·, 3C]; ctx = dropout(softmax(q·kᵀ/√D, padded keys −∞)) · v per head   [·, C]
            var qkv = Ops.Linear(tape, x, qkvWeight, qkvBias);
            var ctx = rows.Unpadded is { } u ? Ops.Attention(tape, qkv, u, cfg.NumHeads)
                : Ops.Attention(tape, qkv, rows.MaskBias, rows.Batch, rows.Seq, cfg.NumHeads, p);
            // sa_layer_norm(out_lin(ctx) + x): no dropout on the projection, unlike BertSelfOutput             [·, C]
            var h = Ops.LinearAddLayerNorm(tape, ctx, outWeight, outBias, x, saLnWeight, saLnBias, cfg.LayerNormEps, 0f);
            // FFN: dropout(lin2(act(lin1(h)))), then output_layer_norm(· + h)                                  [·, C]
            var mid = Ops.LinearActivation(tape, h, lin1Weight, lin1Bias, act);
            return Ops.LinearAddLayerNorm(tape, mid, lin2Weight, lin2Bias, h, outLnWeight, outLnBias, cfg.LayerNormEps, p);
        }
    }
}
