using Skald.Hub;
using Skald.Models.Adapters;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Models.Modules;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tokenizers;
using Skald.Tokenizers.Serialization;

namespace Skald.Models.CrossEncoders;

/// <summary>
/// A cross-encoder (a reranker): tokenizer → transformer → sequence-classification head, scoring a (query, document)
/// pair in one pass over both texts, as sentence-transformers' CrossEncoder does
/// (https://github.com/UKPLab/sentence-transformers/blob/dfcbbd93056c6292ee6a245c0740683a270df0b1/sentence_transformers/cross_encoder/CrossEncoder.py,
/// v5.1.2). Loads the folders that class saves and transformers' <c>*ForSequenceClassification</c> folders of BERT,
/// XLM-R / RoBERTa, ModernBERT, DistilBERT, GTE's NewModel and the decoders (<c>cross-encoder/ms-marco-MiniLM-L6-v2</c>,
/// <c>BAAI/bge-reranker-v2-m3</c>, <c>Alibaba-NLP/gte-reranker-modernbert-base</c>,
/// <c>Alibaba-NLP/gte-multilingual-reranker-base</c>). The pass is the architecture's one definition
/// (<see cref="Forward"/>), here on a tape that does not record.
/// <code>
/// var reranker = CrossEncoder.Load("models/bge-reranker-v2-m3");
/// var ranked = reranker.Rank("Hvor ligger Bergen?", documents, topK: 5);
/// </code>
/// </summary>
public sealed partial class CrossEncoder
{
    private readonly Tape inference = new(recording: false) { PackWeights = true, DirectAttention = true };
    private readonly InferenceGate gate = new();
    private readonly InFlightBatches batchLoop; // Predict's batches, whole ones on each thread: its tapes beside `inference`
    private PromptedPairs? prompt; // a causal-LM reranker's prompt (FromCausalLm); null: pairs as the tokenizer's pair template

    private CrossEncoder(string path, Tokenizer tokenizer, ITransformer transformer, SequenceClassificationHead head,
        CrossEncoderConfig config, int maxLength, PaddingSide paddingSide)
    {
        batchLoop = new InFlightBatches(inference);
        Path = path;
        Tokenizer = tokenizer;
        Transformer = transformer;
        Head = head;
        Config = config;
        MaxLength = maxLength;
        PaddingSide = paddingSide;
        PadId = tokenizer.PadTokenId ?? transformer.Config.PadTokenId;
        Parameters = [.. transformer.Parameters, .. head.Parameters];
        InferenceWeights.SpendMemoryOnSpeed(inference, Parameters);
    }

    /// <summary>The folder it was loaded from: for an adapter folder given as the model, its base's (see <see cref="Source"/>).</summary>
    public string Path { get; }

    /// <summary>
    /// The folder given to <see cref="Load"/> (a hub id located): <see cref="Path"/>, except for a PEFT adapter folder
    /// given as the model, which loads its base's folder with the adapter merged on top: then that adapter folder. It
    /// names the model whose scores these are (the base alone scores otherwise), so messages that tell the user to
    /// load this model again name it.
    /// </summary>
    public string Source => source ?? Path;

    private string? source;

    /// <summary>The tokenizer (tokenizer.json), which writes both texts into one input.</summary>
    public Tokenizer Tokenizer { get; }

    /// <summary>The transformer.</summary>
    public ITransformer Transformer { get; }

    /// <summary>The classification head.</summary>
    public SequenceClassificationHead Head { get; }

    /// <summary>Activation, label names and pooling from config.json.</summary>
    public CrossEncoderConfig Config { get; }

    /// <summary>Outputs per pair (1 for a reranker).</summary>
    public int NumLabels => Head.NumLabels;

    /// <summary>What scores go through unless a call says otherwise.</summary>
    public ScoreActivation Activation => Config.Activation;

    /// <summary>
    /// Longest input in tokens, both texts and the special tokens included: the tokenizer's model_max_length (an adapter
    /// folder given as the model: its own tokenizer_config.json's first) capped by the model's positions
    /// (sentence-transformers from v4.0.2); longer pairs are cut longest first.
    /// </summary>
    public int MaxLength { get; }

    /// <summary>The side batches are padded on (the tokenizer's; scores do not depend on it).</summary>
    public PaddingSide PaddingSide { get; }

    /// <summary>The id padding is filled with.</summary>
    public int PadId { get; }

    /// <summary>The transformer's parameters, then the head's, under their checkpoint keys.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>How the float32 Linear products are formed on AMX hosts (as <see cref="SentenceEncoder.Float32MatmulPrecision"/>).</summary>
    public Tensors.Float32MatmulPrecision Float32MatmulPrecision
    {
        get => inference.Float32Matmul;
        set => inference.Float32Matmul = value;
    }

    /// <summary>Whether the float32 Linear weights are multiplied pre-packed (as <see cref="SentenceEncoder.PackWeights"/>).</summary>
    public bool PackWeights
    {
        get => inference.PackWeights;
        set => inference.PackWeights = value;
    }

    /// <summary>
    /// Makes this an inference-only model whose float32 Linear weights are held once, in the GEMM's packed layout (as
    /// <see cref="SentenceEncoder.KeepPackedOnly"/>; the same scores bit for bit). Returns the float32 bytes released.
    /// </summary>
    public long KeepPackedOnly()
    {
        ThrowIfDisposed();
        return InferenceWeights.KeepPackedOnly(inference, gate, Parameters, Warm);
    }

    /// <summary>
    /// Makes this an inference-only int8 model (as <see cref="SentenceEncoder.KeepInt8Only"/>: per-row int8 weights,
    /// activations quantised per token, the float32 Linear weights dropped; embeddings, norms, attention and the head's
    /// small products stay as the kernels decide). Returns the float32 bytes released; 0 on a CPU without int8 kernels.
    /// </summary>
    public long KeepInt8Only()
    {
        ThrowIfDisposed();
        return InferenceWeights.KeepInt8Only(inference, gate, Parameters, Warm);
    }

    /// <summary>
    /// Whether the Linear layers run in bfloat16 (as <see cref="SentenceEncoder.ComputeBf16"/>: bfloat16 weights and
    /// activations, float32 sums; float32 on a CPU without AVX512-BF16), the panels kept beside the weights. Setting it
    /// false on a bf16-only model (<see cref="KeepBf16Only"/>) throws.
    /// </summary>
    public bool ComputeBf16
    {
        get => inference.Bf16Linear;
        set
        {
            if (!value && inference.KeepBf16Only)
                throw new InvalidOperationException(
                    $"{Path}: this model holds its Linear weights in bfloat16 panels only (KeepBf16Only, --quantize bf16): " +
                    "float32 inference needs the model loaded again without it");
            inference.Bf16Linear = value;
        }
    }

    /// <summary>
    /// Makes this an inference-only bfloat16 model (as <see cref="SentenceEncoder.KeepBf16Only"/>: each Linear weight
    /// held only as bfloat16 GEMM panels, its values dropped; the scores of <see cref="ComputeBf16"/> bit for bit).
    /// Returns the bytes of the values released; 0 on a CPU without AVX512-BF16.
    /// </summary>
    public long KeepBf16Only()
    {
        ThrowIfDisposed();
        return InferenceWeights.KeepBf16Only(inference, gate, Parameters, Warm);
    }

    /// <summary>Whether the Linear layers run in int8 (<see cref="KeepInt8Only"/>).</summary>
    public bool IsInt8Only => inference.KeepInt8Only;

    private void Warm() => Predict([("kvantisering", "pakking")]);

    /// <summary>Scores one pair in int8, so every Linear weight the forward multiplies has its int8 form (for saving).</summary>
    internal void QuantizeOnce()
    {
        bool was;
        using (gate.Enter())
        {
            was = inference.QuantizeLinear;
            inference.QuantizeLinear = true;
        }
        Warm();
        using (gate.Enter()) inference.QuantizeLinear = was;
    }

    /// <summary>
    /// Loads a cross-encoder folder (or hub id <c>org/name[@revision]</c>, resolved in the Hugging Face cache): config.json
    /// with a <c>*ForSequenceClassification</c> checkpoint, tokenizer.json. <paramref name="adapters"/> are peft LoRA
    /// folders merged in order (a SEQ_CLS adapter's modules_to_save bring the head when the base model has none, as
    /// peft loads an adapter trained on a new head). Errors are <see cref="ModelFormatException"/>,
    /// <see cref="TokenizerException"/> or <see cref="HubException"/>, each one line naming the file or key. A PEFT adapter
    /// folder as <paramref name="path"/> loads onto the base its adapter_config.json names (<see cref="AdapterBase.Expand"/>).
    /// </summary>
    public static CrossEncoder Load(string path, IReadOnlyList<string>? adapters = null, WeightPrecision precision = WeightPrecision.Float32)
    {
        string given = HubResolver.Locate(path);
        var (located, expanded) = AdapterBase.Expand(given, adapters?.Select(a => HubResolver.Locate(a)).ToList());
        path = located;
        var adapterPaths = expanded; // an adapter folder given as the model: its base, then it
        var folder = ModelFolder.Read(path);
        if (folder.IsStatic || (folder.IsSentenceTransformers && adapterPaths.Count == 0))
            throw new ModelFormatException(
                $"{path}: a sentence-transformers embedding model (modules.json), not a cross-encoder; rerank with a model that scores pairs");
        string configPath = System.IO.Path.Combine(folder.TransformerPath, "config.json");
        var config = TransformerConfig.Load(configPath);
        var layout = SequenceClassificationHead.LayoutFor(config);
        var tokenizer = folder.LoadTokenizer();
        using var weights = Checkpoint.OpenFolder(folder.TransformerPath, [.. ArchitectureRegistry.KeyPrefixes(config)]);
        string outKey = SequenceClassificationHead.OutputKey(layout);
        int labels = SequenceClassificationHead.LabelsIn(config, weights)
            ?? (adapterPaths.Count > 0 ? AdapterLabels(adapterPaths, outKey, config)
            : throw new ModelFormatException(
                $"{weights.Description}: no classifier weights ({outKey}): not a sequence-classification model (a cross-encoder)" +
                (config.Architecture is { } a ? $"; config.json's architectures says {a}" : "")));
        var settings = CrossEncoderConfig.Read(configPath, labels);
        bool int8 = Quantization.Int8Checkpoint.IsQuantized(folder.TransformerPath);
        var transformer = ArchitectureRegistry.Build(config, ParameterBuilder.FromCheckpoint(weights, precision: precision,
            keepInt8: int8 && adapterPaths.Count == 0, leaveMatricesInFile: true)); // a saved int8 folder: the int8 values kept (with adapters: dequantised, merged, quantised anew)
        try
        {
            var head = SequenceClassificationHead.FromCheckpoint(config, weights, labels, settings.Pooling, 0, out var missing);
            var replaced = new HashSet<Parameter>();
            AdapterBase.NoteOtherBase([path, folder.TransformerPath], adapterPaths);
            foreach (var adapter in adapterPaths) PeftAdapters.Merge(adapter, [.. transformer.Parameters, .. head.Parameters], replaced);
            if (missing.FirstOrDefault(m => !replaced.Contains(m)) is { } absent)
                throw new ModelFormatException(
                    $"{weights.Description}: the head's tensor \"{head.CheckpointKey(absent.Name, SequenceClassificationHead.ClassFor(config.ModelType).EncoderPrefix)}\" is missing" +
                    (adapterPaths.Count > 0 ? ", and no adapter brings it (modules_to_save)" : ""));
            if (tokenizer.IdBound > config.VocabSize)
                throw new ModelFormatException(
                    $"{System.IO.Path.Combine(folder.TransformerPath, "tokenizer.json")}: token ids go up to {tokenizer.IdBound - 1} but the " +
                    $"model's embedding table has {config.VocabSize} rows (vocab_size): the tokenizer does not belong to this model");
            // an adapter folder given as the model may carry its own tokenizer_config.json (sentence-transformers saves the
            // tokenizer beside the adapter): its model_max_length, the length the adapter was trained at, comes first
            int? adapterMax = given == path ? null : new ModelFolder { Path = given, TransformerPath = given }.TokenizerMaxLength();
            int max = Math.Min(adapterMax ?? folder.TokenizerMaxLength() ?? transformer.MaxSequenceLength, transformer.MaxSequenceLength);
            var model = new CrossEncoder(path, tokenizer, transformer, head, settings, max, folder.PaddingSide ?? tokenizer.PaddingSide)
            {
                source = given == path ? null : given,
            };
            if (int8) model.KeepInt8Only(); // int8-only weights run in int8; others (merged adapters) are quantised now
            return model;
        }
        catch
        {
            foreach (var p in transformer.Parameters) p.CloseFile(); // a load that fails leaves no file open
            throw;
        }
    }

    /// <summary>
    /// The number of labels of the head a peft SEQ_CLS adapter brings (its modules_to_save output layer): the last of
    /// <paramref name="adapters"/> that saves one, as merging them in order leaves its head (a plain LoRA chained on a
    /// SEQ_CLS adapter saves none and keeps the one under it).
    /// </summary>
    private static int AdapterLabels(IReadOnlyList<string> adapters, string outKey, TransformerConfig config)
    {
        string key = PeftAdapters.KeyPrefix + outKey;
        for (int i = adapters.Count - 1; i >= 0; i--)
        {
            string file = PeftAdapters.WeightsPath(adapters[i])
                ?? throw new ModelFormatException($"{adapters[i]}: neither {PeftAdapters.WeightsFile} nor {PeftAdapters.PickleWeightsFile} found");
            using var st = SafeTensorsFile.Open(file);
            if (st.Tensors.TryGetValue(key, out var info)) return SequenceClassificationHead.Labels(info.Shape, config, $"{file}: {key}");
        }
        string last = PeftAdapters.WeightsPath(adapters[^1]) ?? adapters[^1];
        throw new ModelFormatException($"{last}: the base model has no classifier and the adapter saves none ({key}, peft's modules_to_save)");
    }

    /// <summary>
    /// Whether <paramref name="folder"/> holds a cross-encoder: a config.json whose architectures names a
    /// <c>*ForSequenceClassification</c> class (as sentence-transformers' CrossEncoder decides) and no modules.json; or a
    /// PEFT adapter folder that loads as one (<see cref="AdapterBase.IsCrossEncoder"/>).
    /// </summary>
    public static bool IsCrossEncoder(string folder)
    {
        if (ModelFolder.IsAdapterFolder(folder)) return AdapterBase.IsCrossEncoder(folder);
        string config = System.IO.Path.Combine(folder, "config.json");
        if (!File.Exists(config) || File.Exists(System.IO.Path.Combine(folder, "modules.json"))) return false;
        try
        {
            byte[] bytes = File.ReadAllBytes(config);
            if (!System.Text.Unicode.Utf8.IsValid(bytes)) return false; // (its strings could not be read)
            using var doc = System.Text.Json.JsonDocument.Parse(bytes);
            return doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && doc.RootElement.TryGetProperty("architectures", out var a) && a.ValueKind == System.Text.Json.JsonValueKind.Array
                && a.EnumerateArray().Any(x => x.ValueKind == System.Text.Json.JsonValueKind.String
                    && x.GetString()!.EndsWith("ForSequenceClassification", StringComparison.Ordinal));
        }
        catch (System.Text.Json.JsonException)
        {
            return false; // loading it says what is wrong
        }
    }

    /// <summary>
    /// Logits [B, L] for one padded batch of pairs on <paramref name="tape"/>: transformer → head. Inference and training
    /// run this same pass (a recording tape trains it).
    /// </summary>
    public Variable Forward(Tape tape, TokenBatch tokens)
    {
        ThrowIfDisposed();
        return Head.Forward(tape, Transformer.Forward(tape, tokens), tokens);
    }

    /// <summary>
    /// The token ids the model sees for each pair: <c>[CLS] a [SEP] b [SEP]</c> (or the tokenizer's pair template),
    /// truncated longest first to <paramref name="maxLength"/> (default <see cref="MaxLength"/>), as the Hugging Face
    /// tokenizer sentence-transformers calls does.
    /// </summary>
    public IReadOnlyList<Encoding> Tokenize(IReadOnlyList<(string Query, string Document)> pairs, int? maxLength = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ThrowIfDisposed();
        int max = Math.Min(maxLength ?? MaxLength, Transformer.MaxSequenceLength);
        if (max < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), "the maximum length must be at least 1");
        for (int i = 0; i < pairs.Count; i++)
        {
            if (pairs[i].Query is null || pairs[i].Document is null) throw new ArgumentException($"pair {i} holds a null text", nameof(pairs));
        }
        if (prompt is not { } pp) return Tokenizer.EncodePairBatch(pairs, max); // a long document is tokenized only as far as it is kept
        // prefix + body (cut to what is left) + suffix, tokenized apart and joined, as the model card's code does
        int[] prefix = Tokenizer.Encode(pp.Prefix, addSpecialTokens: false).Ids, suffix = Tokenizer.Encode(pp.Suffix, addSpecialTokens: false).Ids;
        int room = max - prefix.Length - suffix.Length;
        if (room < 1)
            throw new ModelFormatException($"{Path}: {Counted.Of(max, "token")} leave{(max == 1 ? "s" : "")} no room for the pair between the prompt's {Counted.Of(prefix.Length + suffix.Length, "token")} (a longer --max-length, or a shorter prompt)");
        var bodies = Tokenizer.EncodeBatch([.. pairs.Select(p => pp.Format(p.Query, p.Document))], addSpecialTokens: true, room);
        return [.. bodies.Select(b => Joined([.. prefix, .. b.Ids, .. suffix]))];
    }
}
