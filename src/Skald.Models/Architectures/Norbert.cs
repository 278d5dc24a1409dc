using System.Collections.Concurrent;
using Skald.Models.Checkpoints;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;

namespace Skald.Models.Architectures;

/// <summary>
/// NorBERT3 = LTG-BERT (hub <c>ltg/norbert3-xs/-small/-base/-large</c>, custom code <c>modeling_norbert.py</c>, model type
/// "norbert" through <see cref="CustomCode"/>), following the NorbertModel of modeling_norbert.py as published with the
/// checkpoints; the copy read is ltgoslo/norbench's
/// https://github.com/ltgoslo/norbench/blob/4c61546a884e9f337b790db0192ca9bca4c6fe9f/evaluation_scripts/modeling_norbert.py
/// (hub revision https://huggingface.co/ltg/norbert3-base/blob/6fda07593df5768b7413c149decf662e2c01eb2a/modeling_norbert.py
/// computes the same). Training code: https://github.com/ltgoslo/ltg-bert.
/// No absolute positions: embedding = LayerNorm(word[id]) without affine; one shared relative embedding
/// [2·position_bucket_size − 1, C] with its own LayerNorm, projected in every layer by that layer's in_proj_qk, gives
/// DeBERTa-style content→position and position→content score terms over log-bucketed distances (scale 1/√(3·D)).
/// Each layer: x += dropout(post_layer_norm(out_proj(attention(pre_layer_norm(x))))), pre-LayerNorm without affine;
/// x += dropout(W2·LN(GeGLU(W1·LN(x)))) with bias-free W1 [2I, C] (value half first, gate second) and W2 [C, I], both
/// LayerNorms without affine. Padded keys get a −∞ score (masked_fill before the softmax); padded queries attend to the
/// real keys like any other row. <c>last_hidden_state</c> is the last layer's output (no final norm).
/// </summary>
public sealed class Norbert : EncoderModel
{
    private readonly Embedding embedding;   // embedding.*
    private readonly Layer[] layers;        // transformer.layers.{i}.*
    private readonly float[] onesC, zerosC, onesI, zerosI;
    private readonly ConcurrentDictionary<int, int[]> buckets = new();
    private readonly Func<int, int[]> bucketsFor;   // T → [T, T] buckets, cached per length

    /// <summary>Builds the model's parameters through <paramref name="p"/> (checkpoint keys without prefix).</summary>
    public Norbert(TransformerConfig config, ParameterBuilder p) : base(config)
    {
        bucketsFor = t => buckets.GetOrAdd(t, static (t, c) => RelativeAttention.BucketIndices(t, c.PositionBucketSize,
            c.MaxPositionEmbeddings), Config);
        embedding = new Embedding(config, p.Sub("embedding"));
        var transformer = p.Sub("transformer");
        layers = new Layer[config.NumLayers];
        for (int i = 0; i < layers.Length; i++) layers[i] = new Layer(config, transformer.Sub("layers", i));
        Complete(p);
        onesC = [.. Enumerable.Repeat(1f, config.HiddenSize)];
        zerosC = new float[config.HiddenSize];
        onesI = [.. Enumerable.Repeat(1f, config.IntermediateSize)];
        zerosI = new float[config.IntermediateSize];
    }

    /// <summary>The word-embedding table [V, C] (tied to NorbertForMaskedLM's output layer).</summary>
    public Parameter WordEmbeddings => embedding.Word;

    /// <inheritdoc />
    /// <remarks>
    /// Padded, the additive key mask stands for upstream's −∞ fill of padded keys before the softmax (exp gives 0
    /// either way). The per-layer outputs collected are each layer's output as a model of that many layers puts it
    /// out (what AdaptiveLayerLoss means to pool), not what upstream's remote code returns as <c>hidden_states</c>:
    /// NorbertModel reports the embeddings and then the difference each layer adds (h_i − h_{i−1}), which no shorter
    /// model puts out.
    /// </remarks>
    private protected override Variable Run(Tape tape, TokenBatch tokens, BatchRows rows, HiddenStates? hiddenStates)
    {
        var x = embedding.Words(tape, rows.Select(tokens.Ids), onesC, zerosC); // [B·T or N, C]
        var rel = embedding.Relative(tape);                          // [R, C], shared by all layers
        var norms = new PlainNorms(onesC, zerosC, onesI, zerosI);
        foreach (var layer in layers) x = Layer(tape, x, new LayerStep(layer, rel, bucketsFor, rows, norms), LayerStep.Run, rows, hiddenStates);
        return x;
    }

    /// <summary>The 1/0 vectors the affine-free LayerNorms run with ([C] and [I]).</summary>
    private readonly record struct PlainNorms(float[] OnesC, float[] ZerosC, float[] OnesI, float[] ZerosI);

    /// <summary>A layer and its inputs besides x, for <see cref="Tape.Layer{TState}"/> (kept, or checkpointed).</summary>
    private readonly record struct LayerStep(Layer Layer, Variable Relative, Func<int, int[]> Buckets, BatchRows Rows,
        PlainNorms Norms)
    {
        public static readonly Func<Tape, Variable, LayerStep, Variable> Run = static (tape, x, s) =>
            s.Layer.Forward(tape, x, s.Relative, s.Buckets, s.Rows, s.Norms);
    }

    /// <summary>
    /// Upstream's initialisation (its modules' <c>initialize</c>; <c>_init_weights</c> does nothing): every weight
    /// matrix and both embeddings truncated normal with std = √(2 / (5C)) cut at ±2·std, biases 0, LayerNorm weights 1;
    /// the feed-forward weights of layer i scaled by √(1 / (2(i + 1))).
    /// </summary>
    public static ParameterInitializer Initializer(TransformerConfig config, SkaldRandom random) => (key, values) =>
    {
        if (key.EndsWith(".bias", StringComparison.Ordinal)) values.Clear();
        else if (key.Contains("layer_norm", StringComparison.Ordinal)) values.Fill(1f);
        else
        {
            double std = Math.Sqrt(2.0 / (5.0 * config.HiddenSize));
            if (key.Contains(".mlp.mlp.", StringComparison.Ordinal) && LayerIndex(key) is int layer)
                std *= Math.Sqrt(1.0 / (2.0 * (1 + layer)));
            for (int i = 0; i < values.Length; i++)
            {
                double g;
                do g = random.NextGaussian(); while (Math.Abs(g) > 2.0);
                values[i] = (float)(g * std);
            }
        }
    };

    /// <summary>i of "transformer.layers.{i}.…".</summary>
    private static int? LayerIndex(string key)
    {
        const string prefix = "transformer.layers.";
        int start = key.IndexOf(prefix, StringComparison.Ordinal);
        if (start < 0) return null;
        start += prefix.Length;
        int end = key.IndexOf('.', start);
        return int.TryParse(key.AsSpan(start, end - start), out int i) ? i : null;
    }

    /// <summary>Embedding: word_embedding → LayerNorm without affine → dropout; relative_embedding → relative_layer_norm.</summary>
    private sealed class Embedding
    {
        public readonly Parameter Word;                          // embedding.word_embedding.weight: [V, C]
        private readonly Parameter relative;                     // embedding.relative_embedding: [2·bucket − 1, C]
        private readonly Parameter relLnWeight, relLnBias;       // embedding.relative_layer_norm.{weight,bias}: [C]
        private readonly int[] relativeRows;
        private readonly float eps;

        public Embedding(TransformerConfig cfg, ParameterBuilder p)
        {
            int c = cfg.HiddenSize, r = 2 * cfg.PositionBucketSize - 1;
            Word = p.Table("word_embedding.weight", cfg.VocabSize, c);
            relative = p.Tensor("relative_embedding", r, c);
            relLnWeight = p.Tensor("relative_layer_norm.weight", c);
            relLnBias = p.Tensor("relative_layer_norm.bias", c);
            relativeRows = [.. Enumerable.Range(0, r)];
            eps = cfg.LayerNormEps;
        }

        /// <summary>dropout(LayerNorm(word[id])) [B·T, C] (word_layer_norm has no affine parameters).</summary>
        public Variable Words(Tape tape, int[] ids, float[] ones, float[] zeros) =>
            Ops.Dropout(tape, Ops.PlainLayerNorm(tape, Ops.Gather(tape, ids, Word), ones, zeros, eps), tape.Dropout);

        /// <summary>relative_layer_norm(relative_embedding) [R, C].</summary>
        public Variable Relative(Tape tape) =>
            Ops.LayerNormalization(tape, Ops.Gather(tape, relativeRows, relative), relLnWeight, relLnBias, eps);
    }

    /// <summary>EncoderLayer: Attention (with its pre/post LayerNorms) and FeedForward, each added to the residual.</summary>
    private sealed class Layer
    {
        private readonly TransformerConfig cfg;
        private readonly Parameter qkWeight, qkBias;       // attention.in_proj_qk: [2C, C], [2C]
        private readonly Parameter vWeight, vBias;         // attention.in_proj_v: [C, C], [C]
        private readonly Parameter outWeight, outBias;     // attention.out_proj: [C, C], [C]
        private readonly Parameter postWeight, postBias;   // attention.post_layer_norm: [C], [C] (pre_layer_norm: none)
        private readonly Parameter up;                     // mlp.mlp.1.weight: [2I, C] (value rows, then gate rows)
        private readonly Parameter down;                   // mlp.mlp.4.weight: [C, I]

        public Layer(TransformerConfig cfg, ParameterBuilder p)
        {
            this.cfg = cfg;
            int c = cfg.HiddenSize, inter = cfg.IntermediateSize;
            var a = p.Sub("attention");
            qkWeight = a.Tensor("in_proj_qk.weight", 2 * c, c);
            qkBias = a.Tensor("in_proj_qk.bias", 2 * c);
            vWeight = a.Tensor("in_proj_v.weight", c, c);
            vBias = a.Tensor("in_proj_v.bias", c);
            outWeight = a.Tensor("out_proj.weight", c, c);
            outBias = a.Tensor("out_proj.bias", c);
            postWeight = a.Tensor("post_layer_norm.weight", c);
            postBias = a.Tensor("post_layer_norm.bias", c);
            up = p.Tensor("mlp.mlp.1.weight", 2 * inter, c);
            down = p.Tensor("mlp.mlp.4.weight", c, inter);
        }

        /// <summary>
        /// x [B·T, C] → [B·T, C] (unpadded rows: [N, C] → [N, C]); rel [R, C] the LayerNorm'd relative embedding;
        /// buckets(T) the [T, T] bucket of every (query, key) pair.
        /// </summary>
        public Variable Forward(Tape tape, Variable x, Variable rel, Func<int, int[]> buckets, BatchRows rows, PlainNorms norms)
        {
            float p = tape.Dropout, eps = cfg.LayerNormEps;
            // Attention: h = pre_layer_norm(x); qk [B·T, 2C], v [B·T, C]; pos [R, 2C] = in_proj_qk(dropout(rel)).
            var h = Ops.PlainLayerNorm(tape, x, norms.OnesC, norms.ZerosC, eps);
            var qk = Ops.Linear(tape, h, qkWeight, qkBias);
            var v = Ops.Linear(tape, h, vWeight, vBias);
            var pos = Ops.Linear(tape, Ops.Dropout(tape, rel, p), qkWeight, qkBias);
            var ctx = rows.Unpadded is { } u                                                                // [B·T, C]
                ? Ops.RelativeAttention(tape, qk, v, pos, buckets, u, cfg.NumHeads)
                : Ops.RelativeAttention(tape, qk, v, pos, buckets(rows.Seq), rows.MaskBias, rows.Batch, rows.Seq, cfg.NumHeads, p);
            var a = Ops.LayerNormalization(tape, Ops.Linear(tape, ctx, outWeight, outBias), postWeight, postBias, eps);
            x = Ops.Add(tape, x, Ops.Dropout(tape, a, p));
            // FeedForward: LN → W1 [2I] → x ⊙ gelu_new(gate) [I] → LN → W2 [C] → dropout.
            var m = Ops.PlainLayerNorm(tape, x, norms.OnesC, norms.ZerosC, eps);
            m = Ops.GeGluValueFirst(tape, Ops.Linear(tape, m, up, null));
            m = Ops.PlainLayerNorm(tape, m, norms.OnesI, norms.ZerosI, eps);
            m = Ops.Linear(tape, m, down, null);
            return Ops.Add(tape, x, Ops.Dropout(tape, m, p));
        }
    }
}
