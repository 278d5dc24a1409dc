using Skald.Models;
using Skald.Models.Architectures;
using Skald.Models.Pipeline;
using Skald.Tensors;
using Skald.Tokenizers;
using Skald.Training.Autograd;

namespace Skald.Training.Modeling;

/// <summary>
/// A trainable sentence-transformers model: BERT / XLM-R transformer (HF modeling_bert.py in train mode: dropout on
/// embeddings, attention probabilities and both residual branches) → Pooling → Dense* → Normalize?, with gradients
/// through every parameter. Loads any folder <see cref="SentenceEncoder.Load"/> accepts; parameters are named by
/// checkpoint key without prefix (Dense: <c>2_Dense/linear.weight</c>). Training forwards go through
/// <see cref="BeginPass"/> (used by the losses); <see cref="Encode"/> is inference with the current weights.
/// </summary>
public sealed class TrainableEncoder : ITrainableModel
{
    private readonly EncoderParameters p;
    private readonly TransformerConfig config;
    private readonly PoolingConfig pooling;
    private readonly ActivationKind activation;
    private readonly bool roberta;
    private readonly int padId;
    private readonly Tape tape = new();
    private float dropout;
    private bool passOpen;

    private TrainableEncoder(ModelFolder source, Tokenizer tokenizer, TransformerConfig config, EncoderParameters p,
        PoolingConfig pooling, int maxSeqLength, float dropout, ulong seed)
    {
        Source = source;
        Tokenizer = tokenizer;
        this.config = config;
        this.p = p;
        this.pooling = pooling;
        MaxSeqLength = maxSeqLength;
        Dropout = dropout;
        Random = new SkaldRandom(seed);
        activation = EncoderParameters.HiddenActivation(config);
        roberta = config.ModelType != "bert";
        padId = tokenizer.PadTokenId ?? config.PadTokenId;
        Dimension = p.Dense.Length > 0 ? p.Dense[^1].Weight.Shape[0] : pooling.OutputDimension;
    }

    /// <inheritdoc />
    public ModelFolder Source { get; }

    /// <summary>The tokenizer (tokenizer.json of the Transformer module).</summary>
    public Tokenizer Tokenizer { get; }

    /// <summary>The transformer's config.json.</summary>
    public TransformerConfig Config => config;

    /// <summary>Pooling configuration.</summary>
    public PoolingConfig Pooling => pooling;

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters => p.All;

    /// <inheritdoc />
    public int Dimension { get; }

    /// <summary>Longest input in tokens (specials included); longer texts are truncated (settable, as ST's max_seq_length).</summary>
    public int MaxSeqLength { get; set; }

    /// <inheritdoc />
    public float Dropout
    {
        get => dropout;
        set => dropout = value is >= 0f and < 1f ? value : throw new ArgumentOutOfRangeException(nameof(value), "dropout must be in [0, 1)");
    }

    /// <inheritdoc />
    public SkaldRandom Random { get; }

    /// <summary>Loads a BERT / XLM-R sentence-transformers or Hugging Face folder for training.</summary>
    public static TrainableEncoder Load(string folder, float dropout = 0.1f, ulong seed = 42)
    {
        var source = ModelFolder.Read(folder);
        var tokenizer = source.LoadTokenizer();
        var config = TransformerConfig.Load(Path.Combine(source.TransformerPath, "config.json"));
        if (!Encoders.SupportedModelTypes.Contains(config.ModelType))
            throw new ModelFormatException($"{config.Source}: model_type \"{config.ModelType}\" is not supported (supported: {string.Join(", ", Encoders.SupportedModelTypes)})");
        var pooling = source.Pooling ?? new PoolingConfig(config.HiddenSize, PoolingMode.Mean);
        if (pooling.Dimension != config.HiddenSize)
            throw new ModelFormatException($"{folder}: Pooling word_embedding_dimension {pooling.Dimension} differs from hidden_size {config.HiddenSize}");
        var parameters = EncoderParameters.Load(config, source.TransformerPath, source.DensePaths);
        int width = pooling.OutputDimension;
        foreach (var (d, path) in parameters.Dense.Zip(source.DensePaths))
        {
            if (d.Weight.Shape[1] != width) throw new ModelFormatException($"{path}: in_features {d.Weight.Shape[1]} does not match the {width} values coming in");
            width = d.Weight.Shape[0];
        }
        int modelMax = config.ModelType == "bert" ? config.MaxPositionEmbeddings : config.MaxPositionEmbeddings - config.PadTokenId - 1;
        int max = source.MaxSeqLength ?? source.TokenizerMaxLength() ?? modelMax;
        return new TrainableEncoder(source, tokenizer, config, parameters, pooling, Math.Min(max, modelMax), dropout, seed);
    }

    /// <summary>
    /// Token ids as sentence-transformers' Transformer.tokenize makes them: Python strip(), lower-case when
    /// do_lower_case, special tokens, truncation to <see cref="MaxSeqLength"/>.
    /// </summary>
    public IReadOnlyList<Encoding> Tokenize(IReadOnlyList<string> texts)
    {
        var prepared = new string[texts.Count];
        for (int i = 0; i < texts.Count; i++)
            prepared[i] = Source.PrepareText(texts[i] ?? throw new ArgumentException($"text {i} is null"));
        return Tokenizer.EncodeBatch(prepared, true, MaxSeqLength);
    }

    /// <summary>
    /// Starts a training-mode pass (dropout as <see cref="Dropout"/> when <paramref name="dropout"/>), recorded for a
    /// backward pass when <paramref name="record"/>. One pass at a time; dispose it to end it.
    /// </summary>
    public EncoderPass BeginPass(bool record = true, bool dropout = true)
    {
        if (passOpen) throw new InvalidOperationException("another pass of this model is still open (dispose it first)");
        passOpen = true;
        return new EncoderPass(this, tape, record, dropout);
    }

    internal void EndPass() => passOpen = false;

    /// <inheritdoc />
    public float[][] Encode(IReadOnlyList<string> texts, int batchSize = 32)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var encodings = Tokenize(texts);
        // Same order and batches as SentenceEncoder.Encode, so the numbers match it.
        var order = Enumerable.Range(0, texts.Count).OrderByDescending(i => encodings[i].Ids.Length).ToArray();
        var result = new float[texts.Count][];
        using var pass = BeginPass(record: false, dropout: false);
        for (int start = 0; start < order.Length; start += batchSize)
        {
            int b = Math.Min(batchSize, order.Length - start);
            var batch = new Encoding[b];
            for (int i = 0; i < b; i++) batch[i] = encodings[order[start + i]];
            var e = pass.Forward(batch);
            for (int i = 0; i < b; i++) result[order[start + i]] = e.Row(i).ToArray();
        }
        return result;
    }

    /// <inheritdoc />
    public void ZeroGradients()
    {
        foreach (var q in p.All) Array.Clear(q.Grad);
    }

    /// <summary>The full forward over one padded batch on <paramref name="t"/>: embeddings [B, Dimension].</summary>
    internal Variable ForwardBatch(Tape t, IReadOnlyList<Encoding> encodings, float p)
    {
        var (ids, mask, typeIds, seq) = Padding.PadBatch(encodings, padId);
        int batch = encodings.Count;
        var x = ForwardTokens(t, ids, mask, typeIds, batch, seq, p);
        var y = Ops.Pool(t, x, mask, batch, seq, pooling);
        foreach (var d in this.p.Dense) y = Ops.Activation(t, Ops.Linear(t, y, d.Weight, d.Bias), d.Activation);
        if (Source.Normalize) y = Ops.Normalize(t, y);
        return y;
    }

    /// <summary>Pad token id of the tokenizer (or config).</summary>
    internal int PadId => padId;

    /// <summary>The word-embedding table parameter [V, C] (tied to the masked-LM decoder).</summary>
    internal Parameter WordEmbeddings => p.Word;

    /// <summary>
    /// The transformer over padded ids [B, T] on <paramref name="t"/>: token states [B·T, C] (HF last_hidden_state),
    /// dropout <paramref name="p"/> in training passes.
    /// </summary>
    internal Variable ForwardTokens(Tape t, int[] ids, int[] mask, int[] typeIds, int batch, int seq, float p)
    {
        if (seq > (roberta ? config.MaxPositionEmbeddings - config.PadTokenId - 1 : config.MaxPositionEmbeddings))
            throw new ArgumentException($"sequence length {seq} exceeds the model's positions");
        int n = batch * seq;
        var positions = new int[n];
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < seq; i++)
                positions[b * seq + i] = roberta ? XlmRoberta.PositionId(ids.AsSpan(b * seq, seq), i, config.PadTokenId) : i;
        }
        var rng = p > 0f ? Random : null;
        var x = Ops.Embeddings(t, ids, positions, typeIds, this.p.Word, this.p.Position, this.p.Type, this.p.EmbLnWeight,
            this.p.EmbLnBias, config.LayerNormEps, p, rng);
        var maskBias = t.Save(n);
        for (int i = 0; i < n; i++) maskBias.Span[i] = mask[i] != 0 ? 0f : float.MinValue;
        foreach (var l in this.p.Layers)
        {
            var qkv = Ops.LinearConcat(t, x, l.QkvWeights, l.QkvBiases);
            var ctx = Ops.Attention(t, qkv, maskBias, batch, seq, config.NumHeads, p, rng);
            var a = Ops.Linear(t, ctx, l.AttnOutWeight, l.AttnOutBias);
            var h = Ops.AddDropoutLayerNorm(t, a, x, l.AttnLnWeight, l.AttnLnBias, config.LayerNormEps, p, rng);
            var inter = Ops.Activation(t, Ops.Linear(t, h, l.InterWeight, l.InterBias), activation);
            var o = Ops.Linear(t, inter, l.OutWeight, l.OutBias);
            x = Ops.AddDropoutLayerNorm(t, o, h, l.OutLnWeight, l.OutLnBias, config.LayerNormEps, p, rng);
        }
        return x;
    }
}
