using Skald.Models.Checkpoints;
using Skald.Tensors.Kernels;

namespace Skald.Models.Architectures;

/// <summary>
/// BertModel (BERT, NB-BERT, KB-BERT, mBERT, LaBSE, MiniLM) inference, following
/// https://github.com/huggingface/transformers/blob/main/src/transformers/models/bert/modeling_bert.py
/// (BertEmbeddings → BertLayer × L with post-LayerNorm residuals; the pooler is not used by sentence embedders).
/// Parameter paths equal the checkpoint keys after the <c>bert.</c> prefix is stripped. RoBERTa-family models reuse
/// this encoder with position ids counted from the padding index (see <see cref="XlmRoberta"/>).
/// </summary>
public sealed class BertModel : ITransformerEncoder
{
    private readonly float[] wordEmbeddings;     // [V, C]
    private readonly float[] positionEmbeddings; // [P, C]
    private readonly float[] typeEmbeddings;     // [TV, C]
    private readonly float[] embLnWeight, embLnBias; // [C]
    private readonly BertLayer[] layers;
    private readonly Func<ReadOnlySpan<int>, ReadOnlySpan<int>, int, int, int, int> positionOf;
    private readonly ActivationFn activation;
    private readonly Lock gate = new();
    private readonly Workspace ws = new();

    /// <summary>Builds the model from a config and checkpoint (keys without prefix).</summary>
    /// <param name="config">Parsed config.json.</param>
    /// <param name="weights">Open checkpoint.</param>
    /// <param name="positionIdsFromPadding">RoBERTa scheme: position = padding_idx + 1 + index among non-pad tokens.</param>
    internal BertModel(TransformerConfig config, Checkpoint weights, bool positionIdsFromPadding)
    {
        Config = config;
        int c = config.HiddenSize;
        wordEmbeddings = weights.Read("embeddings.word_embeddings.weight", config.VocabSize, c);
        positionEmbeddings = weights.Read("embeddings.position_embeddings.weight", config.MaxPositionEmbeddings, c);
        typeEmbeddings = weights.Read("embeddings.token_type_embeddings.weight", config.TypeVocabSize, c);
        (embLnWeight, embLnBias) = ReadLayerNorm(weights, "embeddings.LayerNorm", c);
        layers = new BertLayer[config.NumLayers];
        for (int i = 0; i < layers.Length; i++) layers[i] = new BertLayer(weights, $"encoder.layer.{i}", config);
        activation = ActivationFor(config);
        int pad = config.PadTokenId;
        if (positionIdsFromPadding)
        {
            MaxSequenceLength = config.MaxPositionEmbeddings - pad - 1;
            positionOf = (ids, _, row, seq, t) => XlmRoberta.PositionId(ids.Slice(row * seq, seq), t, pad);
        }
        else
        {
            MaxSequenceLength = config.MaxPositionEmbeddings;
            positionOf = (_, _, _, _, t) => t;
        }
        ParameterCount = (long)wordEmbeddings.Length + positionEmbeddings.Length + typeEmbeddings.Length + 2L * c
            + layers.Sum(l => l.ParameterCount);
    }

    /// <inheritdoc />
    public TransformerConfig Config { get; }

    /// <inheritdoc />
    public int HiddenSize => Config.HiddenSize;

    /// <inheritdoc />
    public int MaxSequenceLength { get; }

    /// <inheritdoc />
    public long ParameterCount { get; }

    /// <summary>Loads a BERT folder (config.json + safetensors, optional <c>bert.</c> key prefix).</summary>
    public static BertModel Load(string folder)
    {
        var config = TransformerConfig.Load(Path.Combine(folder, "config.json"));
        using var weights = Checkpoint.OpenFolder(folder, "bert.");
        return new BertModel(config, weights, positionIdsFromPadding: false);
    }

    /// <inheritdoc />
    public void Forward(ReadOnlySpan<int> ids, ReadOnlySpan<int> typeIds, ReadOnlySpan<int> mask, int batch, int seq,
        Span<float> hidden)
    {
        if (seq > MaxSequenceLength)
            throw new ArgumentException($"sequence length {seq} exceeds the model's {MaxSequenceLength} positions");
        int c = HiddenSize, n = batch * seq;
        lock (gate)
        {
            ws.Ensure(batch, seq, Config);
            // Embeddings: x[n] = word[id] + position[pos] + type[tt], then LayerNorm.   x: [B, T, C]
            var sum = ws.Tmp.AsSpan(0, n * c);
            for (int b = 0; b < batch; b++)
            {
                for (int t = 0; t < seq; t++)
                {
                    int row = b * seq + t;
                    int id = ids[row];
                    if ((uint)id >= (uint)Config.VocabSize)
                        throw new ArgumentException($"token id {id} is outside the vocabulary of {Config.VocabSize}");
                    int pos = positionOf(ids, mask, b, seq, t);
                    int tt = typeIds.IsEmpty ? 0 : typeIds[row];
                    var dst = sum.Slice(row * c, c);
                    wordEmbeddings.AsSpan(id * c, c).CopyTo(dst);
                    System.Numerics.Tensors.TensorPrimitives.Add(dst, positionEmbeddings.AsSpan(pos * c, c), dst);
                    System.Numerics.Tensors.TensorPrimitives.Add(dst, typeEmbeddings.AsSpan(tt * c, c), dst);
                }
            }
            LayerNorm.Forward(sum, embLnWeight, embLnBias, ws.X.AsSpan(0, n * c), ws.Mean, ws.Rstd, n, c, Config.LayerNormEps);

            // Additive key mask [B, T]: 0 keeps a key, float.MinValue removes it (as HF's extended attention mask).
            for (int i = 0; i < n; i++) ws.MaskBias[i] = mask[i] != 0 ? 0f : float.MinValue;

            foreach (var layer in layers) layer.Forward(ws, batch, seq, activation);
            ws.X.AsSpan(0, n * c).CopyTo(hidden);
        }
    }

    internal static (float[] Weight, float[] Bias) ReadLayerNorm(Checkpoint w, string path, int c)
    {
        // Old TF-converted checkpoints name LayerNorm parameters gamma/beta; transformers renames them on load.
        if (!w.Contains(path + ".weight") && w.Contains(path + ".gamma"))
            return (w.Read(path + ".gamma", c), w.Read(path + ".beta", c));
        return (w.Read(path + ".weight", c), w.Read(path + ".bias", c));
    }

    private static ActivationFn ActivationFor(TransformerConfig config) => config.HiddenAct switch
    {
        "gelu" => Activations.Gelu,
        "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => Activations.GeluTanh,
        "relu" => Activations.Relu,
        _ => throw new ModelFormatException(
            $"{config.Source}: hidden_act \"{config.HiddenAct}\" is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu)"),
    };

    /// <summary>An element-wise activation y = f(x).</summary>
    internal delegate void ActivationFn(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>Grow-only activation buffers, so that steady-state encoding allocates nothing.</summary>
    internal sealed class Workspace
    {
        public float[] X = [], H = [], Tmp = [], Qkv = [], Ctx = [], Inter = [], Probs = [], MaskBias = [], Mean = [], Rstd = [];
        public int Count;

        public void Ensure(int batch, int seq, TransformerConfig cfg)
        {
            int n = batch * seq, c = cfg.HiddenSize;
            Count = n;
            Grow(ref X, n * c); Grow(ref H, n * c); Grow(ref Tmp, n * c); Grow(ref Ctx, n * c);
            Grow(ref Qkv, n * 3 * c); Grow(ref Inter, n * cfg.IntermediateSize);
            Grow(ref Probs, batch * cfg.NumHeads * seq * seq);
            Grow(ref MaskBias, n); Grow(ref Mean, n); Grow(ref Rstd, n);
        }

        private static void Grow(ref float[] a, int size)
        {
            if (a.Length < size) a = new float[size];
        }
    }
}
