using Skald.Models.Adapters;
using Skald.Models.Architectures;
using Skald.Models.CrossEncoders;
using Skald.Models.Modules;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;
using Skald.Tokenizers;

namespace Skald.Models.LateInteraction;

/// <summary>
/// A late-interaction (ColBERT) model saved by PyLate: a sentence-transformers folder whose modules.json is a
/// Transformer then Dense projections over every token (no Pooling), with PyLate's settings in
/// config_sentence_transformers.json (<see cref="ColbertSettings"/>). Texts become one normalised vector per token, as
/// PyLate's <c>ColBERT.encode</c> gives them, and a query scores a document by MaxSim (<see cref="MaxSim"/>).
/// <code>
/// using var model = ColbertEncoder.Load("models/colbert");
/// var (q, d) = (model.EncodeQueries(["Hvor ligger Bergen?"])[0], model.EncodeDocuments(["Bergen ligger på Vestlandet."])[0]);
/// float score = ColbertEncoder.Score(q, d);
/// </code>
/// Encoding may be called from several threads at once (the forward passes take turns).
/// </summary>
/// <remarks>
/// Inputs as PyLate's <c>tokenize</c> and <c>encode</c> make them (<see cref="ColbertInputs"/>, which training shares);
/// every kept vector is L2-normalised. Batches are padded on the right.
/// Upstream: https://github.com/lightonai/pylate/blob/1f1f47cee5df35ebe6fd2286a0a205a1523e4119/pylate/models/colbert.py
/// </remarks>
public sealed class ColbertEncoder : IMultiVectorEncoder, IDisposable
{
    private readonly DenseModule[] dense;
    private readonly ColbertProjection[] projections;
    private readonly ColbertInputs inputs;
    private readonly Tape inference = new(recording: false);
    private readonly InferenceGate gate = new();
    private readonly InFlightBatches batchLoop; // Encode's batches, whole ones on each thread: its tapes beside `inference`
    private bool disposed;

    private ColbertEncoder(string source, ModelFolder folder, Tokenizer tokenizer, ITransformer transformer, ColbertProjection[] projections, ColbertInputs inputs)
    {
        DenseModule[] dense = [.. projections.Select(p => p.Dense)];
        batchLoop = new InFlightBatches(inference);
        this.projections = projections;
        Source = source;
        Folder = folder;
        Tokenizer = tokenizer;
        Transformer = transformer;
        this.dense = dense;
        this.inputs = inputs;
        Settings = inputs.Settings;
        DefaultPrompt = folder.DefaultPromptName is { } name ? folder.Prompts[name] : null;
        Dimension = dense.Length > 0 ? dense[^1].OutFeatures : transformer.HiddenSize;
        PadId = inputs.PadId;
        InferenceWeights.SpendMemoryOnSpeed(inference, [.. transformer.Parameters, .. dense.SelectMany(d => d.Parameters)]);
    }

    /// <summary>How the float32 Linear products are formed on AMX hosts (as <see cref="SentenceEncoder.Float32MatmulPrecision"/>).</summary>
    public Tensors.Float32MatmulPrecision Float32MatmulPrecision
    {
        get => inference.Float32Matmul;
        set => inference.Float32Matmul = value;
    }

    /// <summary>The path or hub id the model was loaded from.</summary>
    public string Source { get; }

    /// <summary>"colbert": the kind of token vectors an index of this model records (<see cref="IMultiVectorEncoder.Kind"/>).</summary>
    public string Kind => "colbert";

    /// <summary>document_length: most tokens a document is read with, the prefix token included.</summary>
    public int DocumentTokens => Settings.DocumentLength;

    /// <summary>The folder's module chain.</summary>
    public ModelFolder Folder { get; }

    /// <summary>The tokenizer.</summary>
    public Tokenizer Tokenizer { get; }

    /// <summary>The transformer.</summary>
    public ITransformer Transformer { get; }

    /// <summary>The Dense projections applied to every token's state (a PyLate Dense with use_residual adds its input back after its own).</summary>
    public IReadOnlyList<DenseModule> Dense => dense;

    /// <summary>The settings the texts are prepared with.</summary>
    public ColbertSettings Settings { get; }

    /// <summary>Width of a token vector.</summary>
    public int Dimension { get; }

    /// <summary>The id batches are padded with.</summary>
    public int PadId { get; }

    /// <summary>
    /// Whether <paramref name="path"/> is a model folder holding a late-interaction model: PyLate's
    /// (<see cref="ModelFolder.IsLateInteraction"/>) or a Stanford ColBERT checkpoint (<see cref="StanfordColbert.IsStanford"/>),
    /// or a bare peft adapter folder whose base (base_model_name_or_path, a hub id found in the cache only) is one.
    /// </summary>
    public static bool IsColbert(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (StanfordColbert.IsStanford(path)) return true;
        if (ModelFolder.IsAdapterFolder(path)) // a bare peft adapter folder: a ColBERT when its base is one (Load merges it)
        {
            try
            {
                return IsColbert(AdapterBase.Expand(path, null, cachedOnly: true).Model);
            }
            catch (Exception e) when (e is ModelFormatException or Skald.Hub.HubException)
            {
                return false; // no base to be found: the loader that is tried instead names what is wrong
            }
        }
        if (!Directory.Exists(path) || !File.Exists(Path.Combine(path, "modules.json"))) return false;
        try
        {
            return ModelFolder.Read(path).IsLateInteraction;
        }
        catch (ModelFormatException)
        {
            return false; // not readable as one: the loader that is tried instead names what is wrong
        }
    }

    /// <summary>The one line refusing a late-interaction folder where a sentence embedder is loaded.</summary>
    public static string NotASentenceEmbedder(string path) =>
        $"{path}: a late-interaction (ColBERT / PyLate) model, one vector per token (modules.json: Transformer → Dense, no Pooling), " +
        "not a sentence embedder; load it with ColbertEncoder.Load (library) or use it with skald rerank and skald evaluate (CLI)";

    /// <summary>
    /// Loads a PyLate ColBERT folder or a Stanford ColBERT checkpoint (<see cref="StanfordColbert"/>; or either's hub id
    /// <c>org/name[@revision]</c>) with its own settings, or with
    /// <paramref name="settings"/> instead (PyLate's constructor arguments). A PyLate folder saved with a LoRA adapter on
    /// its Transformer module (adapter_config.json and adapter_model.safetensors in place of the weights, as
    /// sentence-transformers saves a model after <c>add_adapter</c>; Skald's <c>lora.save: adapter</c> of a ColBERT run)
    /// loads its base's transformer with the adapter merged, the folder's own Dense modules, tokenizer and settings,
    /// resolved as <see cref="SentenceEncoder.Load(string, IReadOnlyList{string}?, Tensors.WeightPrecision)"/> resolves one. Errors are one-line
    /// <see cref="ModelFormatException"/>s naming the file and key.
    /// </summary>
    public static ColbertEncoder Load(string path, ColbertSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        // The dense loader's resolution: a PyLate folder saved with a peft adapter on its Transformer module reads its
        // base's transformer weights (adapter_config.json's base_model_name_or_path) with the adapter merged first.
        var (source, folder, weights, adapters, bases) = SentenceEncoder.Open(path, null, cachedOnly: false, refuseCrossEncoder: false);
        bool stanford = StanfordColbert.IsStanford(folder.Path);
        if (!folder.IsLateInteraction && !stanford)
            throw new ModelFormatException($"{path}: not a late-interaction model (PyLate saves a ColBERT as modules.json Transformer → Dense, without Pooling; " +
                $"the Stanford code as config.json architectures [\"{StanfordColbert.Architecture}\"])");
        bool ownSettings = settings is null;
        settings ??= stanford ? StanfordColbert.ReadSettings(source) : ColbertSettings.Read(folder.Path);
        var tokenizer = folder.LoadTokenizer();
        var transformer = ArchitectureRegistry.Load(weights);
        try
        {
            AdapterBase.NoteOtherBase(bases, adapters);
            if (stanford) StanfordColbert.NoteOtherBase(source);
            foreach (var adapter in adapters) PeftAdapters.Merge(adapter, transformer.Parameters);
            if (tokenizer.IdBound > transformer.Config.VocabSize)
                throw new ModelFormatException($"{Path.Combine(folder.TransformerPath, "tokenizer.json")}: token ids go up to {tokenizer.IdBound - 1} but the " +
                    $"model's embedding table has {transformer.Config.VocabSize} rows (vocab_size): the tokenizer does not belong to this model");
            if (stanford && ownSettings) StanfordColbert.Check(source, settings, tokenizer, transformer.MaxSequenceLength);
            ColbertProjection[] projections = stanford
                ? [ColbertProjection.Plain(StanfordColbert.LoadLinear(source, transformer.HiddenSize))]
                : [.. folder.DensePaths.Select(ColbertProjection.Load)];
            var dense = projections.Select(p => p.Dense).ToArray();
            int width = transformer.HiddenSize;
            foreach (var (d, p) in dense.Zip(folder.DensePaths))
            {
                if (d.InFeatures != width) throw new ModelFormatException($"{Path.Combine(p, "config.json")}: in_features {d.InFeatures} does not match the {width} values coming in");
                width = d.OutFeatures;
            }
            return new ColbertEncoder(source, folder, tokenizer, transformer, projections, ColbertInputs.Create(folder, tokenizer, settings, transformer));
        }
        catch
        {
            foreach (var p in transformer.Parameters) p.CloseFile();
            throw;
        }
    }

    /// <summary>
    /// The prompt of config_sentence_transformers.json's <c>default_prompt_name</c>, put before every text (queries and
    /// documents alike, as PyLate's <c>encode</c> does without a prompt of its own; the prefix token still comes right
    /// after the first token, then the prompt's tokens, whose vectors are kept); null for none.
    /// </summary>
    public string? DefaultPrompt { get; }

    /// <summary>Queries' token vectors (PyLate's <c>encode(is_query=True)</c>, <see cref="DefaultPrompt"/> before each); result i belongs to text i.</summary>
    public TokenVectors[] EncodeQueries(IReadOnlyList<string> texts, int batchSize = 32, CancellationToken cancellationToken = default) =>
        Encode(texts, true, DefaultPrompt, batchSize, cancellationToken);

    /// <summary>Documents' token vectors (PyLate's <c>encode(is_query=False)</c>, <see cref="DefaultPrompt"/> before each, the skiplist applied); result i belongs to text i.</summary>
    public TokenVectors[] EncodeDocuments(IReadOnlyList<string> texts, int batchSize = 32, CancellationToken cancellationToken = default) =>
        Encode(texts, false, DefaultPrompt, batchSize, cancellationToken);

    /// <summary>
    /// Queries' token vectors with <paramref name="prompt"/> before each text instead of <see cref="DefaultPrompt"/>
    /// (PyLate's <c>encode(prompt=...)</c>; null or "" for none).
    /// </summary>
    public TokenVectors[] EncodeQueries(IReadOnlyList<string> texts, string? prompt, int batchSize = 32, CancellationToken cancellationToken = default) =>
        Encode(texts, true, prompt, batchSize, cancellationToken);

    /// <summary>Documents' token vectors with <paramref name="prompt"/> before each text instead of <see cref="DefaultPrompt"/> (null or "" for none).</summary>
    public TokenVectors[] EncodeDocuments(IReadOnlyList<string> texts, string? prompt, int batchSize = 32, CancellationToken cancellationToken = default) =>
        Encode(texts, false, prompt, batchSize, cancellationToken);

    /// <summary>The MaxSim of <paramref name="query"/> against <paramref name="document"/> (<see cref="MaxSim.Score"/>).</summary>
    public static float Score(TokenVectors query, TokenVectors document)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(document);
        if (query.Dimension != document.Dimension)
            throw new ArgumentException($"the query's vectors have {query.Dimension} values, the document's {document.Dimension}", nameof(document));
        return MaxSim.Score(query.Values, document.Values, query.Dimension);
    }

    /// <summary>
    /// <paramref name="documents"/> ordered by their MaxSim against <paramref name="query"/>, best first (ties in
    /// index order), the first <paramref name="topK"/> when given.
    /// </summary>
    public IReadOnlyList<RankedDocument> Rank(string query, IReadOnlyList<string> documents, int? topK = null, int batchSize = 32,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(documents);
        if (topK is < 1) throw new ArgumentOutOfRangeException(nameof(topK), "topK must be at least 1");
        var q = EncodeQueries([query], batchSize, cancellationToken)[0];
        var docs = EncodeDocuments(documents, batchSize, cancellationToken);
        return CrossEncoder.Order([.. docs.Select(d => Score(q, d))], topK);
    }

    /// <summary>
    /// The token ids of each text as the model reads them, their type ids and attention mask (0: a query's expansion
    /// token that the text does not attend to): PyLate's <c>tokenize</c>.
    /// </summary>
    public IReadOnlyList<(int[] Ids, int[] TypeIds, int[] Mask)> Tokenize(IReadOnlyList<string> texts, bool isQuery)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return inputs.Tokenize(texts, isQuery);
    }

    private TokenVectors[] Encode(IReadOnlyList<string> texts, bool isQuery, string? prompt, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(disposed, this);
        var rowsOf = inputs.Tokenize(texts, isQuery, prompt);
        var order = Enumerable.Range(0, texts.Count).OrderByDescending(i => rowsOf[i].Ids.Length).ToArray();
        var result = new TokenVectors[texts.Count];
        bool expand = inputs.ReadsMaskedRows(isQuery);
        int batches = (order.Length + batchSize - 1) / batchSize;
        batchLoop.Run(batches, inFlight: true, gate, cancellationToken, (tape, index) =>
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            var rows = order.AsSpan(index * batchSize, Math.Min(batchSize, order.Length - index * batchSize)).ToArray();
            var batch = inputs.Batch([.. rows.Select(i => rowsOf[i])]);
            // Expansion tokens give vectors whether attended to or not: the pass must compute the rows it masks,
            // which only the padded pass does (the unpadded one skips them).
            tape.DirectAttention = !expand;
            using (tape.Pass(cancellationToken))
            {
                var y = Transformer.Forward(tape, batch);
                foreach (var d in projections) y = d.Forward(tape, y);
                for (int b = 0; b < rows.Length; b++) result[rows[b]] = Kept(y.Span, batch.Seq, b, rowsOf[rows[b]], isQuery);
            }
        }, null);
        return result;
    }

    // The row's kept vectors, normalised: a query's all (expansion) or attended ones; a document's attended, not skipped.
    private TokenVectors Kept(ReadOnlySpan<float> y, int seq, int b, (int[] Ids, int[] TypeIds, int[] Mask) row, bool isQuery)
    {
        var keep = new List<int>(row.Ids.Length);
        for (int t = 0; t < row.Ids.Length; t++)
        {
            if (inputs.Keeps(row.Ids[t], row.Mask[t], isQuery)) keep.Add(t);
        }
        var values = new float[keep.Count * Dimension];
        for (int k = 0; k < keep.Count; k++) y.Slice((b * seq + keep[k]) * Dimension, Dimension).CopyTo(values.AsSpan(k * Dimension));
        L2Normalize.Forward(values, values, [], keep.Count, Dimension);
        return new TokenVectors(values, [.. keep.Select(t => row.Ids[t])], Dimension);
    }

    /// <summary>Closes the files the weights are read from; encoding afterwards throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        using (gate.Enter())
        {
            if (disposed) return;
            disposed = true;
            foreach (var p in Transformer.Parameters) p.CloseFile();
        }
    }
}
