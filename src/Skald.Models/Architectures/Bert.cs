using Skald.Models.Checkpoints;
using Skald.Tensors;
using Skald.Tensors.Autograd;

namespace Skald.Models.Architectures;

/// <summary>
/// BertModel (BERT, NB-BERT, KB-BERT, mBERT, LaBSE, MiniLM; with RoBERTa positions also XLM-R, see
/// <see cref="XlmRoberta"/>), following transformers' modeling_bert.py
/// (https://github.com/huggingface/transformers/blob/v4.46.3/src/transformers/models/bert/modeling_bert.py):
/// BertEmbeddings → BertLayer × L with post-LayerNorm residuals; the pooler is not used by sentence embedders.
/// The nesting of the fields is the nesting of the checkpoint keys (<c>embeddings.*</c>,
/// <c>encoder.layer.{i}.attention.self.query.weight</c>, ...). One definition for inference and training: on a tape
/// that records, dropout (<see cref="Tape.Dropout"/>) acts where HF's train mode applies hidden_dropout_prob and
/// attention_probs_dropout_prob.
/// </summary>
public sealed class BertModel : EncoderModel
{
    private readonly Embeddings embeddings;       // embeddings.*
    private readonly Layer[] layers;              // encoder.layer.{i}.*
    private readonly bool positionsFromPadding;

    /// <summary>Builds the model's parameters through <paramref name="p"/> (checkpoint keys without prefix).</summary>
    /// <param name="config">Parsed config.json.</param>
    /// <param name="p">Where the parameters come from.</param>
    /// <param name="positionsFromPadding">RoBERTa scheme: position = padding_idx + 1 + index among non-pad tokens.</param>
    public BertModel(TransformerConfig config, ParameterBuilder p, bool positionsFromPadding)
        : base(config, positionsFromPadding ? config.MaxPositionEmbeddings - config.PadTokenId - 1 : config.MaxPositionEmbeddings)
    {
        this.positionsFromPadding = positionsFromPadding;
        embeddings = new Embeddings(config, p.Sub("embeddings"));
        var encoder = p.Sub("encoder");
        layers = new Layer[config.NumLayers];
        for (int i = 0; i < layers.Length; i++) layers[i] = new Layer(config, encoder.Sub("layer", i));
        Complete(p);
    }

    /// <summary>The word-embedding table [V, C] (tied to the masked-LM decoder).</summary>
    public Parameter WordEmbeddings => embeddings.Word;

    /// <inheritdoc />
    private protected override Variable Run(Tape tape, TokenBatch tokens, BatchRows rows, HiddenStates? hiddenStates)
    {
        var x = embeddings.Forward(tape, rows.Select(tokens.Ids), rows.Select(Positions(tokens)), rows.Select(tokens.TypeIds)); // [B·T or N, C]
        foreach (var layer in layers) x = Layer(tape, x, new LayerStep(layer, rows), LayerStep.Run, rows, hiddenStates);
        return x;
    }

    /// <summary>
    /// The decoder of BertLMHeadModel over this model's own weights, as TSDAE ties encoder and decoder (transformers'
    /// <c>tie_encoder_decoder</c>): the embeddings and every layer as in <see cref="EncoderModel.Forward(Tape, TokenBatch)"/>, but
    /// with causal self-attention (is_decoder) and, after it in layer i, <paramref name="cross"/>[i] attending to
    /// <paramref name="memory"/> [B, C] (add_cross_attention). Token states [B·T, C]; padded passes only.
    /// </summary>
    public Variable ForwardDecoder(Tape tape, TokenBatch tokens, Variable memory, IReadOnlyList<BertCrossAttention> cross)
    {
        if (cross.Count != layers.Length) throw new ArgumentException($"{cross.Count} cross-attention blocks for {layers.Length} layers", nameof(cross));
        if (memory.Rows != tokens.Batch || memory.Cols != Config.HiddenSize)
            throw new ArgumentException($"the memory is [{memory.Rows}, {memory.Cols}], the decoder needs [{tokens.Batch}, {Config.HiddenSize}]", nameof(memory));
        CheckLength(tokens);
        var rows = BatchRows.For(tape, tokens, mayUnpad: false);
        var x = embeddings.Forward(tape, tokens.Ids, Positions(tokens), tokens.TypeIds); // [B·T, C]
        for (int i = 0; i < layers.Length; i++) x = LayerStack.Next(tape, x, new LayerStep(layers[i], rows, cross[i], memory), LayerStep.Run, rows, null);
        return x;
    }

    /// <summary>
    /// Position ids [B, T]: RoBERTa counts from padding_idx + 1 over non-pad ids; BERT counts real tokens (t when
    /// padded right, the same positions when padded left, so a text's embedding does not depend on the padding side).
    /// </summary>
    private int[] Positions(TokenBatch tokens)
    {
        if (!positionsFromPadding) return tokens.Positions;
        int seq = tokens.Seq;
        var positions = new int[tokens.Count];
        for (int b = 0; b < tokens.Batch; b++)
        {
            var row = tokens.Ids.AsSpan(b * seq, seq);
            for (int t = 0; t < seq; t++) positions[b * seq + t] = XlmRoberta.PositionId(row, t, Config.PadTokenId);
        }
        return positions;
    }

    /// <summary>A layer and its inputs besides x, for <see cref="Tape.Layer{TState}"/> (kept, or checkpointed).</summary>
    private readonly record struct LayerStep(Layer Layer, BatchRows Rows, BertCrossAttention? Cross = null, Variable? Memory = null)
    {
        public static readonly Func<Tape, Variable, LayerStep, Variable> Run =
            static (tape, x, s) => s.Layer.Forward(tape, x, s.Rows, s.Cross, s.Memory);
    }

    /// <summary>
    /// transformers' BertPreTrainedModel._init_weights for a new model: weights N(0, initializer_range²), biases 0,
    /// LayerNorm weight 1 and bias 0, the padding row of the word embeddings 0.
    /// </summary>
    public static ParameterInitializer Initializer(TransformerConfig config, SkaldRandom random, float range = 0.02f) => (key, values) =>
    {
        if (key.EndsWith(".bias", StringComparison.Ordinal)) values.Clear();
        else if (key.Contains("LayerNorm", StringComparison.Ordinal) || key.Contains("layer_norm", StringComparison.Ordinal)) values.Fill(1f); // nn.LayerNorm (RoBERTa's lm_head.layer_norm)
        else
        {
            for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextGaussian() * range);
            if (key == "embeddings.word_embeddings.weight")
                values.Slice(config.PadTokenId * config.HiddenSize, config.HiddenSize).Clear();
        }
    };

    /// <summary>BertEmbeddings: LayerNorm(word[id] + position[pos] + token_type[tt]), then dropout.</summary>
    private sealed class Embeddings(TransformerConfig cfg, ParameterBuilder p)
    {
        public readonly Parameter Word = p.Table("word_embeddings.weight", cfg.VocabSize, cfg.HiddenSize);             // [V, C]
        private readonly Parameter position = p.Table("position_embeddings.weight", cfg.MaxPositionEmbeddings, cfg.HiddenSize, leaveInFile: false); // [P, C]
        private readonly Parameter type = p.Table("token_type_embeddings.weight", cfg.TypeVocabSize, cfg.HiddenSize, leaveInFile: false);  // [TV, C]
        private readonly Parameter lnWeight = p.Tensor("LayerNorm.weight", cfg.HiddenSize);                              // [C]
        private readonly Parameter lnBias = p.Tensor("LayerNorm.bias", cfg.HiddenSize);                                  // [C]

        public Variable Forward(Tape tape, int[] ids, int[] positions, int[] typeIds) =>
            Ops.Embeddings(tape, ids, positions, typeIds, Word, position, type, lnWeight, lnBias, cfg.LayerNormEps, tape.Dropout);
    }

    /// <summary>
    /// BertLayer = BertAttention (BertSelfAttention + BertSelfOutput), BertIntermediate, BertOutput. Query, key and
    /// value are three parameters stored side by side, so one GEMM computes all three.
    /// </summary>
    private sealed class Layer
    {
        private readonly TransformerConfig cfg;
        private readonly ActivationKind act;
        private readonly Parameter qkvWeight, qkvBias;             // attention.self.{query,key,value}: [3C, C], [3C]
        private readonly Parameter attnOutWeight, attnOutBias;     // attention.output.dense: [C, C], [C]
        private readonly Parameter attnLnWeight, attnLnBias;       // attention.output.LayerNorm: [C]
        private readonly Parameter interWeight, interBias;         // intermediate.dense: [I, C], [I]
        private readonly Parameter outWeight, outBias;             // output.dense: [C, I], [C]
        private readonly Parameter outLnWeight, outLnBias;         // output.LayerNorm: [C]

        public Layer(TransformerConfig cfg, ParameterBuilder p)
        {
            this.cfg = cfg;
            int c = cfg.HiddenSize, inter = cfg.IntermediateSize;
            act = ActivationNames.FromHiddenAct(cfg.HiddenAct, cfg.Source);
            var self = p.Sub("attention.self");
            string[] qkv = ["query", "key", "value"];
            qkvWeight = self.Stack(qkv, "weight", c, c).Stacked;
            qkvBias = self.Stack(qkv, "bias", c).Stacked;
            var attnOut = p.Sub("attention.output");
            attnOutWeight = attnOut.Tensor("dense.weight", c, c);
            attnOutBias = attnOut.Tensor("dense.bias", c);
            attnLnWeight = attnOut.Tensor("LayerNorm.weight", c);
            attnLnBias = attnOut.Tensor("LayerNorm.bias", c);
            interWeight = p.Tensor("intermediate.dense.weight", inter, c);
            interBias = p.Tensor("intermediate.dense.bias", inter);
            outWeight = p.Tensor("output.dense.weight", c, inter);
            outBias = p.Tensor("output.dense.bias", c);
            outLnWeight = p.Tensor("output.LayerNorm.weight", c);
            outLnBias = p.Tensor("output.LayerNorm.bias", c);
        }

        /// <summary>
        /// x [B·T, C] → [B·T, C] (unpadded: [N, C] → [N, C]). With <paramref name="cross"/> the layer is a decoder's
        /// (BertLMHeadModel's): causal self-attention, then the cross-attention block over <paramref name="memory"/>.
        /// </summary>
        public Variable Forward(Tape tape, Variable x, BatchRows rows, BertCrossAttention? cross = null, Variable? memory = null)
        {
            float p = tape.Dropout;
            // BertSelfAttention: qkv [B·T, 3C] = x · Wqkvᵀ + b; ctx [B·T, C] = dropout(softmax(q·kᵀ/√D + mask)) · v per head
            // (unpadded: each sequence's own tokens, no mask; a decoder: each token attends to itself and earlier ones).
            var qkv = Ops.Linear(tape, x, qkvWeight, qkvBias);
            var ctx = rows.Unpadded is { } u ? Ops.Attention(tape, qkv, u, cfg.NumHeads)
                : cross is null ? Ops.Attention(tape, qkv, rows.MaskBias, rows.Batch, rows.Seq, cfg.NumHeads, p)
                : CausalAttention(tape, qkv, rows, p);
            // BertSelfOutput, BertIntermediate and BertOutput in one parallel region where the six-term AMX product
            // runs them at inference (Ops.OutputFeedForward: the same bits as the three ops below).
            if (cross is null)
                return Ops.OutputFeedForward(tape, ctx, x, attnOutWeight, attnOutBias, attnLnWeight, attnLnBias, interWeight,
                    interBias, act, outWeight, outBias, outLnWeight, outLnBias, cfg.LayerNormEps, p);
            // BertSelfOutput: h = LayerNorm(dropout(ctx · Woᵀ + b) + x).                                   [B·T, C]
            // (one fused pass when inferring with pre-packed weights: Ops.LinearAddLayerNorm)
            var h = Ops.LinearAddLayerNorm(tape, ctx, attnOutWeight, attnOutBias, x, attnLnWeight, attnLnBias, cfg.LayerNormEps, p);
            // A decoder's crossattention: h = LayerNorm(dropout(Wo · v(memory) + bo) + h), see BertCrossAttention.  [B·T, C]
            if (cross is not null) h = cross.Forward(tape, h, memory ?? throw new ArgumentNullException(nameof(memory)), rows.Batch, rows.Seq);
            // BertIntermediate: act(h · Wiᵀ + bi) (fused into the GEMM's store when inferring)              [B·T, I]
            var mid = Ops.LinearActivation(tape, h, interWeight, interBias, act);
            // BertOutput: LayerNorm(dropout(mid · Woᵀ + bo) + h)                                           [B·T, C]
            return Ops.LinearAddLayerNorm(tape, mid, outWeight, outBias, h, outLnWeight, outLnBias, cfg.LayerNormEps, p);
        }

        /// <summary>Causal self-attention on the fused qkv [B·T, 3C] (a decoder's BertSelfAttention under the causal mask).</summary>
        private Variable CausalAttention(Tape tape, Variable qkv, BatchRows rows, float p)
        {
            int c = cfg.HiddenSize;
            var q = Ops.Columns(tape, qkv, 0, c);
            var k = Ops.Columns(tape, qkv, c, c);
            var v = Ops.Columns(tape, qkv, 2 * c, c);
            var scoring = new Skald.Tensors.Kernels.AttentionScoring(1f / MathF.Sqrt(c / cfg.NumHeads), Causal: true);
            return Ops.DecoderAttention(tape, q, k, v, rows.MaskBias, rows.Batch, rows.Seq, cfg.NumHeads, cfg.NumHeads, scoring, p);
        }
    }
}
