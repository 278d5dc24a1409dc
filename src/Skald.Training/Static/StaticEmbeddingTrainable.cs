using System.Numerics.Tensors;
using System.Text.Json;
using Skald.Models;
using Skald.Models.Architectures;
using Skald.Models.Modules;
using Skald.Tensors;
using Skald.Tokenizers;
using Skald.Training.Modeling;

namespace Skald.Training.Static;

/// <summary>
/// A trainable sentence-transformers StaticEmbedding (Model2Vec-style) model: one token-embedding table
/// <c>embedding.weight</c> [V, D]; a text's embedding is the mean of the rows of its tokens (tokenised without special
/// tokens, not stripped, not truncated; an empty text gives zeros), as <c>nn.EmbeddingBag(mode="mean")</c>.
/// <see cref="Forward(IReadOnlyList{string})"/> / <see cref="Backward"/> are the training pass (the backward scatters
/// d(embedding)/count into the rows the batch touched), <see cref="Encode"/> is inference and equals
/// <see cref="SentenceEncoder"/> on the folder <see cref="Save"/> writes.
/// </summary>
public sealed class StaticEmbeddingTrainable : ITrainableModel
{
    /// <summary>Key of the table in <c>0_StaticEmbedding/model.safetensors</c>.</summary>
    public const string WeightName = "embedding.weight";

    private readonly Parameter weight;
    private readonly int maxLength; // 0: no truncation (sentence-transformers' StaticEmbedding never truncates)
    private readonly HashSet<int> touched = [];
    private bool allDirty;

    private StaticEmbeddingTrainable(ModelFolder source, Tokenizer tokenizer, string tokenizerJson, float[] table, int dim,
        bool normalize, int maxLength, ulong seed)
    {
        if (dim < 1) throw new ArgumentOutOfRangeException(nameof(dim), "dimension must be at least 1");
        if (table.Length != (long)tokenizer.VocabSize * dim)
            throw new ArgumentException($"table holds {table.Length} values, the tokenizer's {tokenizer.VocabSize} tokens × {dim} need {(long)tokenizer.VocabSize * dim}");
        Source = source;
        Tokenizer = tokenizer;
        TokenizerJson = tokenizerJson;
        Dimension = dim;
        Normalize = normalize;
        this.maxLength = maxLength;
        Random = new SkaldRandom(seed);
        // Weight decay eligible (a weight matrix, as Hugging Face's Trainer groups parameters); whether it decays is
        // the optimiser's weight_decay, which StaticTrainingOptions leaves at 0 as sentence-transformers' default.
        weight = new Parameter(WeightName, table, [tokenizer.VocabSize, dim], weightDecay: true);
    }

    /// <inheritdoc />
    public ModelFolder Source { get; }

    /// <summary>The tokenizer (no special tokens are added when embedding).</summary>
    public Tokenizer Tokenizer { get; }

    /// <summary>The tokenizer.json text written next to the table on save.</summary>
    public string TokenizerJson { get; }

    /// <summary>The table parameter <c>embedding.weight</c> [V, D].</summary>
    public Parameter Weight => weight;

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters => [weight];

    /// <summary>Vocabulary size (table rows).</summary>
    public int VocabSize => Tokenizer.VocabSize;

    /// <inheritdoc />
    public int Dimension { get; }

    /// <summary>Whether <see cref="Encode"/> L2-normalises (a Normalize module in the folder it was loaded from).</summary>
    public bool Normalize { get; }

    /// <summary>Static models have no dropout; the value is kept for the interface and not applied.</summary>
    public float Dropout { get; set; }

    /// <inheritdoc />
    public SkaldRandom Random { get; }

    /// <summary>
    /// A new model over <paramref name="tokenizer"/> with a random table: N(0, 1) entries, as PyTorch's
    /// <c>nn.EmbeddingBag</c> (sentence-transformers' <c>StaticEmbedding(tokenizer, embedding_dim=D)</c>), so its
    /// learning rates (0.05–0.2 with AdamW) carry over. The draw is a pure function of <paramref name="seed"/>.
    /// </summary>
    public static StaticEmbeddingTrainable Create(Tokenizer tokenizer, string tokenizerJsonPath, int dim, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(tokenizerJsonPath);
        return Create(tokenizer, File.ReadAllText(tokenizerJsonPath), Path.GetDirectoryName(Path.GetFullPath(tokenizerJsonPath))!, dim, seed);
    }

    /// <summary>As <see cref="Create(Tokenizer, string, int, ulong)"/> from tokenizer.json text (e.g. <c>TokenizerTrainer.TrainJson</c>).</summary>
    public static StaticEmbeddingTrainable CreateFromJson(string tokenizerJson, int dim, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(tokenizerJson);
        return Create(Tokenizer.FromJson(tokenizerJson), tokenizerJson, Directory.GetCurrentDirectory(), dim, seed);
    }

    private static StaticEmbeddingTrainable Create(Tokenizer tokenizer, string json, string folder, int dim, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        var table = new float[(long)tokenizer.VocabSize * dim is var n && n <= Array.MaxLength ? (int)n : throw new ArgumentOutOfRangeException(nameof(dim), "table too large")];
        var rng = new SkaldRandom(seed);
        for (int i = 0; i < table.Length; i++) table[i] = (float)rng.NextGaussian();
        return FromTable(tokenizer, json, folder, table, dim, seed);
    }

    /// <summary>A model over a given table [tokenizer.VocabSize, <paramref name="dim"/>] (not copied).</summary>
    public static StaticEmbeddingTrainable FromTable(Tokenizer tokenizer, string tokenizerJson, float[] table, int dim, ulong seed = 0) =>
        FromTable(tokenizer, tokenizerJson, Directory.GetCurrentDirectory(), table, dim, seed);

    private static StaticEmbeddingTrainable FromTable(Tokenizer tokenizer, string json, string folder, float[] table, int dim, ulong seed)
    {
        var source = new ModelFolder { Path = folder, TransformerPath = folder, IsStatic = true, IsSentenceTransformers = true };
        return new StaticEmbeddingTrainable(source, tokenizer, json, table, dim, normalize: false, maxLength: 0, seed);
    }

    /// <summary>
    /// Loads a static model: a sentence-transformers folder whose first module is a StaticEmbedding (optionally
    /// followed by Normalize), or a bare module / Model2Vec folder with <c>model.safetensors</c>
    /// (<c>embedding.weight</c> or <c>embeddings</c>) and <c>tokenizer.json</c>.
    /// </summary>
    public static StaticEmbeddingTrainable FromFolder(string path, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(path);
        ModelFolder folder;
        bool normalize = false;
        if (File.Exists(Path.Combine(path, "modules.json")))
        {
            folder = ModelFolder.Read(path);
            if (!folder.IsStatic) throw new ModelFormatException($"{path}: the first module is not a {StaticEmbeddingModel.ModuleType}");
            if (folder.DensePaths.Count > 0) throw new ModelFormatException($"{path}: Dense modules after a StaticEmbedding are not trainable here");
            normalize = folder.Normalize;
        }
        else
        {
            folder = new ModelFolder { Path = path, TransformerPath = path, IsStatic = true };
            normalize = Model2VecNormalize(Path.Combine(path, "config.json"));
        }
        var tokenizer = folder.LoadTokenizer();
        var model = StaticEmbeddingModel.Load(folder.TransformerPath);
        if (model.Config.VocabSize != tokenizer.VocabSize)
            throw new ModelFormatException($"{folder.TransformerPath}: table has {model.Config.VocabSize} rows, tokenizer.json {tokenizer.VocabSize} tokens");
        string json = File.ReadAllText(Path.Combine(folder.TransformerPath, "tokenizer.json"));
        // The same length rule as SentenceEncoder.Load, so Encode equals it on this folder.
        int max = folder.MaxSeqLength ?? folder.TokenizerMaxLength() ?? 0;
        return new StaticEmbeddingTrainable(folder, tokenizer, json, model.Table.ToArray(), model.HiddenSize, normalize, max, seed);
    }

    private static bool Model2VecNormalize(string configPath)
    {
        if (!File.Exists(configPath)) return false;
        using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
        return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("normalize", out var v)
            && v.ValueKind == JsonValueKind.True;
    }

    /// <summary>Token ids of each text as the model sees them (no special tokens, no stripping).</summary>
    public int[][] Tokenize(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        for (int i = 0; i < texts.Count; i++)
        {
            if (texts[i] is null) throw new ArgumentException($"text {i} is null", nameof(texts));
        }
        var enc = Tokenizer.EncodeBatch(texts, addSpecialTokens: false, maxLength);
        var ids = new int[enc.Count][];
        for (int i = 0; i < ids.Length; i++) ids[i] = enc[i].Ids;
        return ids;
    }

    /// <summary>Training forward over texts: mean of token rows per text ([texts, D]), with the ids for the backward.</summary>
    public StaticBatch Forward(IReadOnlyList<string> texts) => Forward(Tokenize(texts));

    /// <summary>Training forward over pre-tokenised texts.</summary>
    public StaticBatch Forward(IReadOnlyList<int[]> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var e = new EmbeddingBatch(ids.Count, Dimension);
        for (int r = 0; r < ids.Count; r++) MeanRows(ids[r], e.Row(r));
        return new StaticBatch(e, ids);
    }

    /// <summary>
    /// Adds <paramref name="scale"/> · d(loss)/d(embeddings) / token count into the gradient rows of each text's
    /// tokens (a token repeated in a text receives its share once per occurrence). Only touched rows change.
    /// </summary>
    public void Backward(StaticBatch batch, EmbeddingBatch gradient, float scale = 1f)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(gradient);
        if (gradient.Rows != batch.Ids.Count || gradient.Dim != Dimension)
            throw new ArgumentException($"gradient is [{gradient.Rows}, {gradient.Dim}], the batch [{batch.Ids.Count}, {Dimension}]", nameof(gradient));
        int d = Dimension;
        var grad = weight.Grad;
        for (int r = 0; r < batch.Ids.Count; r++)
        {
            var ids = batch.Ids[r];
            if (ids.Length == 0) continue;
            float share = scale / ids.Length;
            var g = gradient.Row(r);
            foreach (int id in ids)
            {
                CheckId(id);
                var dst = grad.Span.Slice(id * d, d);
                TensorPrimitives.MultiplyAdd(g, share, dst, dst);
                touched.Add(id);
            }
        }
    }

    /// <inheritdoc />
    public void ZeroGradients()
    {
        if (allDirty)
        {
            weight.Grad.Span.Clear();
            allDirty = false;
        }
        else
        {
            foreach (int id in touched) weight.Grad.Span.Slice(id * Dimension, Dimension).Clear();
        }
        touched.Clear();
    }

    /// <summary>Marks the whole gradient as possibly non-zero (call after writing <see cref="Parameter.Grad"/> directly).</summary>
    public void MarkGradientDirty() => allDirty = true;

    /// <summary>Row ids the gradient holds since the last <see cref="ZeroGradients"/>.</summary>
    public IReadOnlyCollection<int> TouchedRows => touched;

    /// <summary>
    /// Inference embeddings with the current table, input order kept; equal, value for value, to
    /// <see cref="SentenceEncoder.Encode(IReadOnlyList{string}, EncodeOptions?)"/> on the saved folder. Texts are
    /// independent, so <paramref name="batchSize"/> is only validated (texts run in parallel).
    /// </summary>
    public float[][] Encode(IReadOnlyList<string> texts, int batchSize = 32)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var ids = Tokenize(texts);
        var result = new float[ids.Length][];
        Parallel.For(0, ids.Length, new ParallelOptions { MaxDegreeOfParallelism = Tensors.Parallelism.MaxThreads }, i =>
        {
            var row = new float[Dimension];
            MeanRows(ids[i], row);
            if (Normalize) Tensors.Kernels.L2Normalize.Forward(row, row, [], 1, Dimension);
            result[i] = row;
        });
        return result;
    }

    /// <summary>
    /// Writes the sentence-transformers folder (<see cref="StaticModelWriter"/>): modules.json,
    /// 0_StaticEmbedding/{model.safetensors, tokenizer.json}, config_sentence_transformers.json, README.md, and a
    /// Normalize module when <paramref name="normalize"/>.
    /// </summary>
    public void Save(string dir, bool normalize = false, string? modelCard = null) =>
        StaticModelWriter.Save(this, dir, normalize, modelCard);

    /// <summary>Sum of the rows in token order, then divided by the count: the pipeline's mean pooling, bit for bit.</summary>
    private void MeanRows(int[] ids, Span<float> dst)
    {
        dst.Clear();
        int d = Dimension;
        foreach (int id in ids)
        {
            CheckId(id);
            TensorPrimitives.Add(dst, weight.Data.Span.Slice(id * d, d), dst);
        }
        TensorPrimitives.Divide(dst, MathF.Max(ids.Length, 1e-9f), dst);
    }

    private void CheckId(int id)
    {
        if ((uint)id >= (uint)VocabSize) throw new ArgumentException($"token id {id} is outside the vocabulary of {VocabSize}");
    }
}

/// <summary>The result of a static training forward: embeddings [texts, D] and each text's token ids.</summary>
public sealed record StaticBatch(EmbeddingBatch Embeddings, IReadOnlyList<int[]> Ids);
