using Skald.Models.Checkpoints;
using Skald.Models.Generation;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;

namespace Skald.Models.Architectures;

/// <summary>
/// GPT2Model (model_type gpt2: OpenAI GPT-2, DistilGPT2, AI Sweden's GPT-SW3), from transformers' modeling_gpt2.py
/// (https://github.com/huggingface/transformers/blob/0010f60284ab4b9d14b7df9c6525b1a2ad44e640/src/transformers/models/gpt2/modeling_gpt2.py):
/// wte(ids) + wpe(positions) → block × L (x + c_proj(attn(ln_1(x))); x + mlp(ln_2(x))) → ln_f, the last_hidden_state.
/// Fields nest like the checkpoint keys (<c>transformer.</c> stripped, GPT2LMHeadModel's prefix; a GPT2Model folder has
/// none): <c>wte.weight</c>, <c>wpe.weight</c>, <c>h.{i}.ln_1</c>, <c>h.{i}.attn.c_attn</c>, <c>h.{i}.attn.c_proj</c>,
/// <c>h.{i}.ln_2</c>, <c>h.{i}.mlp.c_fc</c>, <c>h.{i}.mlp.c_proj</c>, <c>ln_f</c>, and <c>lm_head.weight</c> unless tied
/// (tie_word_embeddings, GPT-2's default: the head is wte). The projections are Conv1D, stored [in, out]: they are read
/// transposed into ordinary [out, in] Linear weights (<see cref="ParameterBuilder.Conv1D"/>) and written back as stored.
/// Attention: one fused c_attn projection (q, k, v of C columns each), scores scaled by head_dim^−½
/// (scale_attn_weights) and by 1/(i + 1) in layer i (scale_attn_by_inverse_layer_idx), causal, or bidirectional when
/// <see cref="AttentionMode"/> says so (LLM2Vec). The MLP is c_fc → activation_function → c_proj.
/// Positions are learned (wpe) and count each row's real tokens (<see cref="TokenBatch.Positions"/>: generate's
/// <c>attention_mask.cumsum − 1</c>), so a row's states do not depend on its padding; transformers' plain forward
/// without position_ids numbers a left-padded row's columns 0..T−1 instead (right padding: the same positions).
/// Training passes drop what GPT-2 drops (embeddings, attention probabilities, both residual branches) with the run's
/// dropout. GPT-2's cross-attention (add_cross_attention, <see cref="CrossAttention"/>) runs only in
/// <see cref="ForwardDecoder(Tape, TokenBatch, Variable, IReadOnlyList{CrossAttention})"/>, the decoder that reads encoder
/// states (TSDAE); the plain forward skips it, as transformers does without encoder states. A checkpoint whose config
/// says add_cross_attention and that holds the blocks' keys (<c>h.{i}.ln_cross_attn.*</c>, <c>h.{i}.crossattention.*</c>:
/// a TSDAE decoder saved by transformers) loads them as <see cref="OwnCrossAttention"/>, parameters of the model that
/// are saved with it; without the flag they are left in the file, as transformers leaves unexpected keys. A new model
/// with the flag draws them as transformers initialises them.
/// </summary>
public sealed class Gpt2 : DecoderModel
{
    private readonly Parameter wpe;               // wpe.weight: [n_positions, C]
    private readonly Block[] blocks;              // h.{i}.*
    private readonly Parameter lnF, lnFBias;      // ln_f.weight, ln_f.bias: [C]

    /// <summary>Builds the model's parameters through <paramref name="p"/> (keys without the <c>transformer.</c> prefix).</summary>
    public Gpt2(TransformerConfig config, ParameterBuilder p)
        : base(config, p.Table("wte.weight", config.VocabSize, config.HiddenSize))
    {
        var act = ActivationNames.FromHiddenAct(config.HiddenAct, config.Source, "activation_function");
        wpe = p.Table("wpe.weight", config.MaxPositionEmbeddings, config.HiddenSize, leaveInFile: false);
        blocks = new Block[config.NumLayers];
        for (int i = 0; i < blocks.Length; i++) blocks[i] = new Block(config, p.Sub("h", i), act, i);
        lnF = p.Tensor("ln_f.weight", config.HiddenSize);
        lnFBias = p.Tensor("ln_f.bias", config.HiddenSize);
        if (config.AddCrossAttention && (!p.HasCheckpoint || p.Contains("h.0.crossattention.c_attn.weight")))
            OwnCrossAttention = NewCrossAttention(p);
        Complete(p);
    }

    /// <inheritdoc />
    private protected override Variable Run(Tape tape, TokenBatch tokens, KvCache? cache, HiddenStates? hiddenStates)
    {
        DecoderSelfAttention.CheckCache(tape, cache, AttentionMode);
        // wpe has MaxSequenceLength rows: a row with more real tokens has no position for them (a wider batch whose
        // padding keeps each row within them, as the generator's no-cache steps make, runs)
        if (cache is null && tokens.Seq > MaxSequenceLength && tokens.Positions.Max() is int last && last >= MaxSequenceLength)
            throw new ArgumentException($"position {last} exceeds the model's {MaxSequenceLength} positions");
        cache?.Begin(tokens);
        var positions = cache is null ? tokens.Positions : StepPositions(tape, cache);
        // Inference without a cache skips the padding (BatchRows): [N, C] through the layers, [B·T, C] out.
        var rows = BatchRows.For(tape, tokens, mayUnpad: cache is null);
        var x = Ops.Add(tape, Ops.Gather(tape, rows.Select(tokens.Ids), EmbedTokens), Ops.Gather(tape, rows.Select(positions), wpe));
        x = Ops.Dropout(tape, x, tape.Dropout); // embd_pdrop
        for (int i = 0; i < blocks.Length; i++)
        {
            var scoring = new AttentionScoring(Scale(i), AttentionMode == AttentionMode.Causal);
            // (before ln_f, as the model's hidden_states)
            x = LayerStack.Next(tape, x, new LayerStep(blocks[i], rows, scoring, cache), LayerStep.Run, rows, hiddenStates);
        }
        cache?.Commit(tokens);
        return rows.Restore(tape, Ops.LayerNormalization(tape, x, lnF, lnFBias, Config.LayerNormEps));
    }

    /// <summary>
    /// The model's own cross-attention blocks (add_cross_attention with the keys in the checkpoint, or a new model with
    /// the flag), one per layer, among <see cref="DecoderModel.Parameters"/>; null when it has none.
    /// </summary>
    public IReadOnlyList<CrossAttention>? OwnCrossAttention { get; }

    /// <summary>
    /// One <see cref="CrossAttention"/> block per layer, with their parameters (<c>h.{i}.ln_cross_attn.*</c>,
    /// <c>h.{i}.crossattention.{q_attn,c_attn,c_proj}.*</c>) through <paramref name="p"/>: a checkpoint's, or
    /// <see cref="Initializer"/>'s for new ones, as transformers initialises the blocks a plain GPT-2 checkpoint lacks.
    /// </summary>
    public CrossAttention[] NewCrossAttention(ParameterBuilder p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return [.. Enumerable.Range(0, blocks.Length).Select(i => new CrossAttention(Config, p.Sub("h", i), Scale(i)))];
    }

    /// <summary>
    /// GPT2LMHeadModel's transformer as a decoder with add_cross_attention: causal self-attention over
    /// <paramref name="tokens"/> [B, T] (positions 0..T−1 of right-padded rows), then in every block
    /// <paramref name="cross"/>[i] over <paramref name="memory"/> [B, C] (one encoder state per row), then the MLP;
    /// returns ln_f's output [B·T, C]. Padded passes only.
    /// </summary>
    public Variable ForwardDecoder(Tape tape, TokenBatch tokens, Variable memory, IReadOnlyList<CrossAttention> cross)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(cross);
        if (cross.Count != blocks.Length) throw new ArgumentException($"{cross.Count} cross-attention blocks for {blocks.Length} layers", nameof(cross));
        if (memory.Rows != tokens.Batch || memory.Cols != Config.HiddenSize)
            throw new ArgumentException($"the memory is [{memory.Rows}, {memory.Cols}], the decoder needs [{tokens.Batch}, {Config.HiddenSize}]", nameof(memory));
        if (tokens.Positions.Max() is int last && last >= MaxSequenceLength)
            throw new ArgumentException($"position {last} exceeds the model's {MaxSequenceLength} positions");
        var rows = BatchRows.For(tape, tokens, mayUnpad: false);
        var x = Ops.Add(tape, Ops.Gather(tape, tokens.Ids, EmbedTokens), Ops.Gather(tape, tokens.Positions, wpe));
        x = Ops.Dropout(tape, x, tape.Dropout); // embd_pdrop
        for (int i = 0; i < blocks.Length; i++)
            x = tape.Layer(x, new LayerStep(blocks[i], rows, new AttentionScoring(Scale(i), true), null, cross[i], memory), LayerStep.Run,
                inputDies: true); // (memory, every block's, lies before the embeddings)
        return Ops.LayerNormalization(tape, x, lnF, lnFBias, Config.LayerNormEps);
    }

    /// <summary>
    /// <see cref="ForwardDecoder(Tape, TokenBatch, Variable, IReadOnlyList{CrossAttention})"/> through the model's own
    /// blocks (<see cref="OwnCrossAttention"/>): GPT2LMHeadModel loaded from a checkpoint saved with add_cross_attention.
    /// </summary>
    public Variable ForwardDecoder(Tape tape, TokenBatch tokens, Variable memory) => ForwardDecoder(tape, tokens, memory,
        OwnCrossAttention ?? throw new InvalidOperationException($"{Config.Source}: the model has no cross-attention blocks (add_cross_attention)"));

    /// <summary>
    /// The cache step's positions [B·Tn] as an array on the tape. A live row never passes wpe's rows (the generator
    /// gives each row what its own prompt leaves of the context, and steps only the rows still decoding); a caller that
    /// steps a cache on past a row's room reads the table's last row for its positions past the table instead of
    /// failing the batch.
    /// </summary>
    private int[] StepPositions(Tape tape, KvCache cache)
    {
        var step = cache.StepPositions.Span;
        var positions = tape.Ints(step.Length);
        for (int i = 0; i < step.Length; i++) positions[i] = Math.Min(step[i], MaxSequenceLength - 1);
        return positions;
    }

    /// <summary>Layer <paramref name="layer"/>'s score scale: head_dim^−½ (scale_attn_weights), / (layer + 1) (scale_attn_by_inverse_layer_idx).</summary>
    private float Scale(int layer)
    {
        double scale = Config.ScaleAttnWeights ? 1.0 / Math.Sqrt(Config.HeadSize) : 1.0;
        return (float)(Config.ScaleAttnByInverseLayerIdx ? scale / (layer + 1) : scale);
    }

    /// <summary>A block and its inputs besides x, for <see cref="Tape.Layer{TState}"/> (kept, or checkpointed).</summary>
    private readonly record struct LayerStep(Block Block, BatchRows Rows, AttentionScoring Scoring, KvCache? Cache,
        CrossAttention? Cross = null, Variable? Memory = null)
    {
        public static readonly Func<Tape, Variable, LayerStep, Variable> Run =
            static (tape, x, s) => s.Block.Forward(tape, x, s.Rows, s.Scoring, s.Cache, s.Cross, s.Memory);
    }

    /// <summary>
    /// transformers' GPT2PreTrainedModel._init_weights: Conv1D / Linear and Embedding weights N(0, initializer_range²),
    /// biases 0, LayerNorm weights 1; then every <c>c_proj.weight</c> (attention and MLP) N(0, (initializer_range /
    /// √(2·n_layer))²), GPT-2's scaled initialisation of the residual projections.
    /// </summary>
    public static ParameterInitializer Initializer(TransformerConfig config, SkaldRandom random) => (key, values) =>
    {
        if (key.EndsWith(".bias", StringComparison.Ordinal)) values.Clear();
        else if (key.StartsWith("ln_", StringComparison.Ordinal) || key.Contains(".ln_", StringComparison.Ordinal)) values.Fill(1f);
        else
        {
            double std = key.EndsWith("c_proj.weight", StringComparison.Ordinal)
                ? config.InitializerRange / Math.Sqrt(2.0 * config.NumLayers)
                : config.InitializerRange;
            for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextGaussian() * std);
        }
    };

    /// <summary>GPT2Block (pre-norm residual blocks), with its GPT2Attention and GPT2MLP.</summary>
    private sealed class Block
    {
        private readonly TransformerConfig cfg;
        private readonly ActivationKind act;
        private readonly int layer;
        private readonly Parameter ln1, ln1Bias;          // ln_1.weight, ln_1.bias: [C]
        private readonly Parameter cAttn, cAttnBias;      // attn.c_attn.weight: [3C, C] (stored [C, 3C]); .bias: [3C]
        private readonly Parameter cProj, cProjBias;      // attn.c_proj.weight: [C, C] (stored transposed); .bias: [C]
        private readonly Parameter ln2, ln2Bias;          // ln_2.weight, ln_2.bias: [C]
        private readonly Parameter fc, fcBias;            // mlp.c_fc.weight: [I, C] (stored [C, I]); .bias: [I]
        private readonly Parameter proj, projBias;        // mlp.c_proj.weight: [C, I] (stored [I, C]); .bias: [C]

        public Block(TransformerConfig cfg, ParameterBuilder p, ActivationKind act, int layer)
        {
            this.cfg = cfg;
            this.act = act;
            this.layer = layer;
            int c = cfg.HiddenSize, inner = cfg.IntermediateSize;
            ln1 = p.Tensor("ln_1.weight", c);
            ln1Bias = p.Tensor("ln_1.bias", c);
            var attn = p.Sub("attn");
            cAttn = attn.Conv1D("c_attn.weight", 3 * c, c);
            cAttnBias = attn.Tensor("c_attn.bias", 3 * c);
            cProj = attn.Conv1D("c_proj.weight", c, c);
            cProjBias = attn.Tensor("c_proj.bias", c);
            ln2 = p.Tensor("ln_2.weight", c);
            ln2Bias = p.Tensor("ln_2.bias", c);
            var mlp = p.Sub("mlp");
            fc = mlp.Conv1D("c_fc.weight", inner, c);
            fcBias = mlp.Tensor("c_fc.bias", inner);
            proj = mlp.Conv1D("c_proj.weight", c, inner);
            projBias = mlp.Tensor("c_proj.bias", c);
        }

        /// <summary>
        /// x [B·T, C] → [B·T, C] (unpadded rows: [N, C] → [N, C]). With a <paramref name="cache"/> x holds only the
        /// step's new tokens, whose keys and values join the cache (<see cref="DecoderSelfAttention.Cached"/>).
        /// </summary>
        public Variable Forward(Tape tape, Variable x, BatchRows rows, AttentionScoring scoring, KvCache? cache,
            CrossAttention? cross = null, Variable? memory = null)
        {
            int c = cfg.HiddenSize, heads = cfg.NumHeads;
            var qkv = Ops.Linear(tape, Ops.LayerNormalization(tape, x, ln1, ln1Bias, cfg.LayerNormEps), cAttn, cAttnBias); // [·, 3C]
            Variable ctx; // [·, C]
            if (cache is not null)
            {
                var (q, k, v) = (Ops.Columns(tape, qkv, 0, c), Ops.Columns(tape, qkv, c, c), Ops.Columns(tape, qkv, 2 * c, c));
                ctx = DecoderSelfAttention.Cached(tape, q, k, v, rows, cache, layer, heads, heads, scoring);
            }
            else if (rows.Unpadded is { } u)
            {
                ctx = Ops.FusedQkvAttention(tape, qkv, u, heads, scoring);
            }
            else
            {
                // attn_pdrop in training passes: the tape's dropout (0 in inference).
                ctx = Ops.FusedQkvAttention(tape, qkv, rows.MaskBias, rows.Batch, rows.Seq, heads, scoring, tape.Dropout);
            }
            var a = Ops.Add(tape, x, Ops.Dropout(tape, Ops.Linear(tape, ctx, cProj, cProjBias), tape.Dropout));
            if (cross is not null) a = cross.Forward(tape, a, memory!, rows.Batch, rows.Seq); // add_cross_attention
            var hidden = Ops.LinearActivation(tape, Ops.LayerNormalization(tape, a, ln2, ln2Bias, cfg.LayerNormEps), fc, fcBias, act);
            return Ops.Add(tape, a, Ops.Dropout(tape, Ops.Linear(tape, hidden, proj, projBias), tape.Dropout));
        }
    }

    /// <summary>
    /// A block's add_cross_attention part (GPT2Block's ln_cross_attn and crossattention, a GPT2Attention with
    /// is_cross_attention): x + resid_dropout(c_proj(attention(q_attn(ln_cross_attn(x)), keys and values from
    /// c_attn(memory)))). Conv1D weights held [out, in] as the block's (<see cref="ParameterBuilder.Conv1D"/>). The memory
    /// is one state per row [B, C] (TSDAE's sentence embedding): its key and value sit under every position of their row
    /// and all but position 0 are masked, so the softmax has one slot (probability 1, whatever the score scale) and
    /// attention dropout drops it per (token, head), as transformers does; q_attn therefore gets no gradient either.
    /// No causal mask here (transformers applies none to cross-attention).
    /// </summary>
    public sealed class CrossAttention
    {
        private readonly TransformerConfig cfg;
        private readonly float scale;
        private readonly Parameter ln, lnBias;            // ln_cross_attn.weight, .bias: [C]
        private readonly Parameter q, qBias;              // crossattention.q_attn.weight: [C, C] (stored transposed); .bias: [C]
        private readonly Parameter kv, kvBias;            // crossattention.c_attn.weight: [2C, C] (stored [C, 2C]); .bias: [2C]
        private readonly Parameter proj, projBias;        // crossattention.c_proj.weight: [C, C] (stored transposed); .bias: [C]

        internal CrossAttention(TransformerConfig cfg, ParameterBuilder p, float scale)
        {
            this.cfg = cfg;
            this.scale = scale;
            int c = cfg.HiddenSize;
            ln = p.Tensor("ln_cross_attn.weight", c);
            lnBias = p.Tensor("ln_cross_attn.bias", c);
            var attn = p.Sub("crossattention");
            q = attn.Conv1D("q_attn.weight", c, c);
            qBias = attn.Tensor("q_attn.bias", c);
            kv = attn.Conv1D("c_attn.weight", 2 * c, c);
            kvBias = attn.Tensor("c_attn.bias", 2 * c);
            proj = attn.Conv1D("c_proj.weight", c, c);
            projBias = attn.Tensor("c_proj.bias", c);
        }

        /// <summary>x [B·T, C] attending to <paramref name="memory"/> [B, C] → [B·T, C].</summary>
        public Variable Forward(Tape tape, Variable x, Variable memory, int batch, int seq)
        {
            ArgumentNullException.ThrowIfNull(tape);
            ArgumentNullException.ThrowIfNull(x);
            ArgumentNullException.ThrowIfNull(memory);
            int c = cfg.HiddenSize;
            float p = tape.Dropout;
            var query = Ops.Linear(tape, Ops.LayerNormalization(tape, x, ln, lnBias, cfg.LayerNormEps), q, qBias); // [B·T, C]
            var keyValue = Ops.Linear(tape, memory, kv, kvBias);                                                  // [B, 2C]
            var owner = tape.Ints(batch * seq);
            var slot = tape.Save(batch * seq);
            var mask = slot.Span;
            for (int i = 0; i < owner.Length; i++)
            {
                owner[i] = i / seq;
                mask[i] = i % seq == 0 ? 0f : float.MinValue; // only position 0 holds the row's memory slot
            }
            var k = Ops.SelectRows(tape, Ops.Columns(tape, keyValue, 0, c), owner);                              // [B·T, C]
            var v = Ops.SelectRows(tape, Ops.Columns(tape, keyValue, c, c), owner);                              // [B·T, C]
            var ctx = Ops.DecoderAttention(tape, query, k, v, slot, batch, seq, cfg.NumHeads, cfg.NumHeads, new AttentionScoring(scale), p);
            return Ops.Add(tape, x, Ops.Dropout(tape, Ops.Linear(tape, ctx, proj, projBias), p));
        }
    }
}
