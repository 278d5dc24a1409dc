using System.Text.Json;
using Skald.Models.Checkpoints;
using Skald.Tokenizers;

namespace Skald.Models.Modules;

/// <summary>
/// What a model folder says about its sentence-transformers module chain: modules.json (Transformer → Pooling → Dense* →
/// Normalize?, or StaticEmbedding → Dense* → Normalize?), sentence_bert_config.json, config_sentence_transformers.json;
/// or, for an LLM2Vec folder, llm2vec_config.json (pooling, lengths, instruction handling; runs bidirectionally); and
/// the padding side (tokenizer_config.json's padding_side). A plain Hugging Face folder without modules.json gets mean
/// pooling, as sentence-transformers does. A folder whose only module is a Router reads its document route as the chain
/// and its query route's extra Dense modules as <see cref="QueryDensePaths"/> (<see cref="RouterConfig"/>).
/// </summary>
/// <remarks>
/// Upstream: https://github.com/UKPLab/sentence-transformers/blob/v5.1.0/sentence_transformers/SentenceTransformer.py and
/// https://github.com/McGill-NLP/llm2vec/blob/312adcfb578b4023bfc9d3bcc83b6b87448ab059/llm2vec/llm2vec.py (from_pretrained, tag 0.2.3).
/// </remarks>
public sealed partial record ModelFolder
{
    /// <summary>The folder.</summary>
    public required string Path { get; init; }

    /// <summary>Folder of the Transformer module (config.json, weights, tokenizer.json).</summary>
    public required string TransformerPath { get; init; }

    /// <summary>Pooling configuration (null: the encoder's dimension with mean pooling is filled in on load).</summary>
    public PoolingConfig? Pooling { get; init; }

    /// <summary>Dense module folders, in order.</summary>
    public IReadOnlyList<string> DensePaths { get; init; } = [];

    /// <summary>
    /// For a sentence-transformers Router folder (<see cref="RouterConfig"/>): the Dense modules only the "query" route
    /// runs, after the chain both routes share (an adapter over the query embeddings); empty otherwise.
    /// </summary>
    public IReadOnlyList<string> QueryDensePaths { get; init; } = [];

    /// <summary>
    /// An inference-free sparse encoder's query module folder (a Router whose "query" route is a SparseStaticEmbedding,
    /// <see cref="Modules.SparseStaticEmbedding"/>); null otherwise.
    /// </summary>
    public string? QueryStaticPath { get; init; }

    /// <summary>A Router folder's default_route (the route of texts with no task); null when the folder has no Router.</summary>
    public string? DefaultRoute { get; init; }

    /// <summary>
    /// A sentence-transformers SparseEncoder folder (MLMTransformer → SpladePooling): its SpladePooling module; the
    /// embeddings are the pooled masked-LM logits, one value per vocabulary entry. Null for other folders.
    /// </summary>
    public SpladeConfig? Splade { get; init; }

    /// <summary>
    /// A CSR sparse encoder's SparseAutoEncoder module folder (sentence-transformers' SparseEncoder over a dense chain:
    /// Transformer → Pooling → Dense* → Normalize? → SparseAutoEncoder); null for other folders.
    /// </summary>
    public string? AutoEncoderPath { get; init; }

    /// <summary>
    /// A late-interaction model (PyLate's ColBERT: modules.json Transformer → Dense with no Pooling): one vector per
    /// token, loaded by <see cref="LateInteraction.ColbertEncoder"/>, not as a sentence embedder.
    /// </summary>
    public bool IsLateInteraction { get; init; }

    /// <summary>Whether a Normalize module ends the module chain (before the SparseAutoEncoder of a CSR model).</summary>
    public bool Normalize { get; init; }

    /// <summary>True when the first module is a StaticEmbedding (no special tokens, no stripping, mean of token rows).</summary>
    public bool IsStatic { get; init; }

    /// <summary>
    /// A Model2Vec folder (config.json's model_type "model2vec", no modules.json): a StaticEmbedding at the root,
    /// Normalize when config.json says normalize, and model2vec's <c>encode</c> inputs: unknown tokens dropped
    /// (<see cref="Tokenizer.UnknownTokenId"/>), at most 512 tokens.
    /// </summary>
    public bool IsModel2Vec { get; init; }

    /// <summary>model2vec's default max_length of <c>StaticModel.encode</c>.</summary>
    public const int Model2VecMaxLength = 512;

    /// <summary>True when modules.json was present.</summary>
    public bool IsSentenceTransformers { get; init; }

    /// <summary>max_seq_length from sentence_bert_config.json.</summary>
    public int? MaxSeqLength { get; init; }

    /// <summary>do_lower_case from sentence_bert_config.json.</summary>
    public bool DoLowerCase { get; init; }

    /// <summary>Named prompts.</summary>
    public IReadOnlyDictionary<string, string> Prompts { get; init; } = new Dictionary<string, string>();

    /// <summary>default_prompt_name.</summary>
    public string? DefaultPromptName { get; init; }

    /// <summary>similarity_fn_name (when absent: cosine, a sparse encoder's dot).</summary>
    public SimilarityFunction Similarity { get; init; } = SimilarityFunction.Cosine;

    /// <summary>
    /// llm2vec_config.json when the folder is an LLM2Vec model (its pooling, max_length, doc_max_length,
    /// skip_instruction); inputs are then (instruction, text) pairs prepared as <see cref="Llm2VecInputs"/> says.
    /// </summary>
    public Llm2VecConfig? Llm2Vec { get; init; }

    /// <summary>
    /// True when the transformer must attend in both directions (no causal mask): an LLM2Vec folder, which
    /// LLM2Vec.from_pretrained loads with enable_bidirectional = true (LlamaBiModel, MistralBiModel, ...). Decoder
    /// architectures read it to switch their attention; encoders are bidirectional anyway and ignore it.
    /// </summary>
    public bool Bidirectional { get; init; }

    /// <summary>
    /// The padding side the folder asks for: left for an LLM2Vec folder (LLM2Vec sets padding_side = "left"), else
    /// tokenizer_config.json's <c>padding_side</c>; null when neither says (then tokenizer.json's padding.direction,
    /// which transformers uses as the default, else right).
    /// </summary>
    public PaddingSide? PaddingSide { get; init; }

    /// <summary>The folders modules.json names, in order (a Router's and its document route's included); else empty.</summary>
    public IReadOnlyList<string> ModuleFolders { get; init; } = [];

    /// <summary>
    /// The folders whose files make the embeddings, each once: the folder itself (config, weights, tokenizer, prompts) and
    /// its module chain's; not a subfolder nothing reads (an <c>onnx/</c> export, a quantized copy, a cache).
    /// </summary>
    public IReadOnlyList<string> ReadFolders() =>
        [.. new[] { Path, TransformerPath }.Concat(ModuleFolders).Concat(DensePaths).Concat(QueryDensePaths).Append(QueryStaticPath).Append(AutoEncoderPath)
            .OfType<string>().Select(f => System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(f))).Distinct(StringComparer.Ordinal)];

    /// <summary>Python's str.isspace set: .NET's white space plus the separators U+001C..U+001F.</summary>
    internal static readonly char[] PythonWhiteSpace = [.. Enumerable.Range(0, 0x3001).Select(i => (char)i)
        .Where(ch => char.IsWhiteSpace(ch) || ch is >= '\u001c' and <= '\u001f')];

    /// <summary>
    /// A text as the first module sees it: sentence-transformers' Transformer.tokenize strips it (Python's strip())
    /// and lower-cases it when do_lower_case; StaticEmbedding takes it as it is.
    /// </summary>
    public string PrepareText(string text)
    {
        if (IsStatic) return text;
        text = text.Trim(PythonWhiteSpace);
        return DoLowerCase ? text.ToLowerInvariant() : text;
    }

    /// <summary>
    /// The first <paramref name="chars"/> characters (or a few more: the prompt's) of <see cref="PrepareText"/> of
    /// <paramref name="prompt"/> + <paramref name="text"/>, made without copying the whole text, or null when that start
    /// would hold the whole prepared text (prepare it all) or the model takes texts as they are. Stripping touches the
    /// start of it as the whole text's, lower-casing (invariant, character by character) maps it alike, and only
    /// whitespace the end strip would remove may follow where the whole prepared text ends; a tokenizer reading a
    /// start (<c>Tokenizer.TryEncodeStart</c>) never relies on whitespace there.
    /// </summary>
    public string? PrepareStart(string prompt, string text, int chars)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegative(chars);
        if (IsStatic) return null;
        int p = prompt.AsSpan().IndexOfAnyExcept(PythonWhiteSpace);
        int t = p >= 0 ? 0 : text.AsSpan().IndexOfAnyExcept(PythonWhiteSpace);
        if (t < 0 || text.Length - t <= chars) return null;
        string start = p >= 0 ? string.Concat(prompt.AsSpan(p), text.AsSpan(0, chars)) : text.Substring(t, chars);
        return DoLowerCase ? start.ToLowerInvariant() : start;
    }

    /// <summary>
    /// The message for a model folder that is not there: "model folder not found", for a relative path with the folder
    /// it was looked for in and, when it is not of a hub id's form (<c>org/name</c>, which the verbs look up in the hub and
    /// its cache before a folder is said missing; <c>./models/x</c>, <c>a/b/c</c> or a bare <c>bert-base-uncased</c> are
    /// none), that it is no hub id either; or, when <paramref name="path"/> is a file (a model's model.safetensors or config.json, as users often
    /// name), the folder holding it to name instead.
    /// </summary>
    public static string NotFound(string path) =>
        File.Exists(path)
            ? $"{path}: is a file, not a model folder (name the folder holding it: {System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))})"
            : System.IO.Path.IsPathRooted(path) ? $"{path}: model folder not found"
            : $"{path}: model folder not found (no such folder in {Directory.GetCurrentDirectory()})" + (Skald.Hub.HubId.TryParse(path) is null ? ", and no hub id (org/name) either" : "");

    /// <summary>
    /// The message for a folder with none of config.json, modules.json and llm2vec_config.json: "not a model folder",
    /// and, when folders inside it are models (a parent such as the quickstart's <c>out/quickstart</c>, named instead of
    /// one of its models), those.
    /// </summary>
    private static string NotAModel(string path)
    {
        string[] models = [.. Directory.EnumerateDirectories(path).Order(StringComparer.Ordinal)
            .Where(d => File.Exists(System.IO.Path.Combine(d, "config.json")) || File.Exists(System.IO.Path.Combine(d, "modules.json")))];
        const int shown = 6;
        string inside = models.Length == 0 ? ""
            : $"; the model folders in it: {string.Join(", ", models.Take(shown))}{(models.Length > shown ? $" and {models.Length - shown} more" : "")}";
        return $"{path}: not a model folder (no config.json or modules.json){inside}";
    }

    /// <summary>Reads the folder's module chain (modules.json and the module configs).</summary>
    public static ModelFolder Read(string path)
    {
        if (!Directory.Exists(path)) throw new ModelFormatException(NotFound(path));
        string modulesPath = System.IO.Path.Combine(path, "modules.json");
        // An adapter folder holds no model files, or (LLM2Vec's MNTP repositories) its base model's config.json and
        // tokenizer beside adapter_config.json, but no weights.
        if (IsAdapterFolder(path)) RefuseAdapterFolder(path);
        if (!File.Exists(modulesPath) && !File.Exists(System.IO.Path.Combine(path, "config.json"))
            && !File.Exists(System.IO.Path.Combine(path, Llm2VecConfig.FileName)))
            throw new ModelFormatException(NotAModel(path));
        var folder = new ModelFolder { Path = path, TransformerPath = path };
        if (File.Exists(modulesPath)) folder = ReadModules(folder, modulesPath);
        else if (Model2VecNormalize(path) is { } normalize)
        {
            folder = Chain(folder, normalize ? [("StaticEmbedding", path), ("Normalize", path)] : [("StaticEmbedding", path)],
                System.IO.Path.Combine(path, "config.json")) with { IsModel2Vec = true, MaxSeqLength = Model2VecMaxLength };
        }
        string stPath = System.IO.Path.Combine(folder.TransformerPath, "sentence_bert_config.json");
        if (File.Exists(stPath))
        {
            using var doc = JsonFiles.Read(stPath);
            folder = folder with
            {
                MaxSeqLength = JsonFiles.Int(doc.RootElement, "max_seq_length", stPath) is int m && m < 1
                    ? throw new ModelFormatException($"{stPath}: key \"max_seq_length\" must be a positive integer, found {m}")
                    : JsonFiles.Int(doc.RootElement, "max_seq_length", stPath),
                DoLowerCase = JsonFiles.Bool(doc.RootElement, "do_lower_case", stPath),
            };
        }
        string cfgPath = System.IO.Path.Combine(path, "config_sentence_transformers.json");
        if (File.Exists(cfgPath)) folder = ReadSentenceTransformersConfig(folder, cfgPath);
        folder = folder with { PaddingSide = ReadPaddingSide(folder.TransformerPath) };
        if (File.Exists(System.IO.Path.Combine(path, Llm2VecConfig.FileName)))
        {
            if (folder.IsSentenceTransformers)
                throw new ModelFormatException(
                    $"{path}: has both modules.json and {Llm2VecConfig.FileName}; a folder is a sentence-transformers model or an LLM2Vec model, not both");
            folder = folder.WithLlm2VecConfig(path);
        }
        return folder;
    }

    /// <summary>
    /// Throws when <paramref name="path"/> (no model weights) is a PEFT adapter folder, such as a LoRA training run's
    /// <c>final/</c> or an LLM2Vec MNTP repository (the base model's config.json and tokenizer beside the adapter): it
    /// holds the adapters only, which load onto their base model (it failed on a missing tokenizer.json or model.safetensors).
    /// </summary>
    private static void RefuseAdapterFolder(string path)
    {
        string file = System.IO.Path.Combine(path, "adapter_config.json");
        if (!File.Exists(file)) return;
        string? baseModel;
        using (var doc = JsonFiles.Read(file))
            baseModel = doc.RootElement.ValueKind == JsonValueKind.Object ? JsonFiles.Str(doc.RootElement, "base_model_name_or_path", file) : null;
        throw new ModelFormatException($"{path}: a PEFT adapter folder (adapter_config.json), not a model: load it onto its base model" +
            (string.IsNullOrEmpty(baseModel) ? "" : $" ({baseModel})") + $" with --adapters {path} (model.adapters in a training config), " +
            "or merge the two into one model folder with skald merge");
    }

    /// <summary>
    /// Whether <paramref name="path"/> is a PEFT adapter folder rather than a model: adapter_config.json, no modules.json,
    /// and no model weights (a LoRA run's <c>final/</c>; an LLM2Vec MNTP repository, whose config.json and tokenizer are
    /// its base model's). <see cref="Adapters.AdapterBase"/> loads such a folder onto its base.
    /// </summary>
    public static bool IsAdapterFolder(string path) =>
        Directory.Exists(path) && File.Exists(System.IO.Path.Combine(path, "adapter_config.json"))
        && !File.Exists(System.IO.Path.Combine(path, "modules.json"))
        && (!File.Exists(System.IO.Path.Combine(path, "config.json")) || !HasWeights(path));

    /// <summary>
    /// Whether the Transformer module folder <paramref name="transformerPath"/> holds a peft adapter instead of weights
    /// (adapter_config.json, no model weights): what sentence-transformers saves after <c>add_adapter</c>.
    /// </summary>
    public static bool IsAdapterModule(string transformerPath) =>
        File.Exists(System.IO.Path.Combine(transformerPath, "adapter_config.json")) && !HasWeights(transformerPath);

    /// <summary>Whether <paramref name="path"/> holds model weights (safetensors or torch.save, sharded or not).</summary>
    private static bool HasWeights(string path) => Checkpoint.WeightsIn(path) is not null;

    /// <summary>config.json's normalize when it describes a Model2Vec model (model_type "model2vec"), else null.</summary>
    private static bool? Model2VecNormalize(string path)
    {
        string file = System.IO.Path.Combine(path, "config.json");
        if (!File.Exists(file)) return null;
        using var doc = JsonFiles.Read(file);
        if (doc.RootElement.ValueKind != JsonValueKind.Object || JsonFiles.Str(doc.RootElement, "model_type", file) != "model2vec") return null;
        return JsonFiles.Bool(doc.RootElement, "normalize", file);
    }

    /// <summary>
    /// This folder as an LLM2Vec model configured by <paramref name="directory"/>/llm2vec_config.json (LLM2Vec reads it
    /// from the PEFT adapter folder when one is given, else from the base folder): its pooling and max_length, left
    /// padding, bidirectional attention. An adapter <paramref name="directory"/>'s own config_sentence_transformers.json
    /// (Skald saves a run's query instruction there as <c>prompts.query</c>) replaces the base's prompts. Unchanged when
    /// the file is not there.
    /// </summary>
    public ModelFolder WithLlm2VecConfig(string directory)
    {
        string file = System.IO.Path.Combine(directory, Llm2VecConfig.FileName);
        if (!File.Exists(file)) return this;
        var config = Llm2VecConfig.Load(file, System.IO.Path.Combine(TransformerPath, "config.json"));
        string prompts = System.IO.Path.Combine(directory, "config_sentence_transformers.json");
        var folder = System.IO.Path.GetFullPath(directory) != System.IO.Path.GetFullPath(Path) && File.Exists(prompts)
            ? ReadSentenceTransformersConfig(this, prompts) : this;
        return folder with
        {
            Llm2Vec = config, Bidirectional = true, PaddingSide = Tokenizers.PaddingSide.Left, MaxSeqLength = config.MaxLength,
        };
    }

    /// <summary>
    /// This folder as an LLM2Vec model with LLM2Vec's default llm2vec_config.json (mean pooling, max_length 512,
    /// skip_instruction) and config.json's template keys: what LLM2Vec's recipe makes of a plain decoder folder.
    /// </summary>
    public ModelFolder AsLlm2Vec()
    {
        if (Llm2Vec is not null) return this;
        string configJson = System.IO.Path.Combine(TransformerPath, "config.json");
        var config = new Llm2VecConfig();
        if (File.Exists(configJson))
        {
            using var doc = JsonFiles.Read(configJson);
            config = config with
            {
                BaseModelName = JsonFiles.Str(doc.RootElement, "_name_or_path", configJson) ?? "",
                ModelType = JsonFiles.Str(doc.RootElement, "model_type", configJson),
            };
        }
        return this with
        {
            Llm2Vec = config, Bidirectional = true, PaddingSide = Tokenizers.PaddingSide.Left, MaxSeqLength = config.MaxLength,
        };
    }

    private static PaddingSide? ReadPaddingSide(string transformerPath)
    {
        string file = System.IO.Path.Combine(transformerPath, "tokenizer_config.json");
        if (!File.Exists(file)) return null;
        using var doc = JsonFiles.Read(file);
        return JsonFiles.Str(doc.RootElement, "padding_side", file) switch
        {
            null => null,
            "left" => Tokenizers.PaddingSide.Left,
            "right" => Tokenizers.PaddingSide.Right,
            var other => throw new ModelFormatException($"{file}: key \"padding_side\" must be \"left\" or \"right\", found \"{other}\""),
        };
    }

    /// <summary>
    /// Loads the tokenizer.json of the Transformer module, padding with the pad token its tokenizer_config.json or
    /// special_tokens_map.json names, as transformers' AutoTokenizer does (<see cref="Tokenizer.FromFolder"/>).
    /// </summary>
    public Tokenizer LoadTokenizer()
    {
        string file = System.IO.Path.Combine(TransformerPath, "tokenizer.json");
        if (!File.Exists(file))
            throw new ModelFormatException(
                $"{TransformerPath}: tokenizer.json not found (Skald reads the fast-tokenizer file; save it from Python with AutoTokenizer.from_pretrained(path).save_pretrained(path))");
        return Tokenizer.FromFolder(TransformerPath);
    }

    /// <summary>model_max_length from tokenizer_config.json, when it is a real limit.</summary>
    public int? TokenizerMaxLength()
    {
        string file = System.IO.Path.Combine(TransformerPath, "tokenizer_config.json");
        if (!File.Exists(file)) return null;
        using var doc = JsonFiles.Read(file);
        if (doc.RootElement.TryGetProperty("model_max_length", out var v) && v.ValueKind == JsonValueKind.Number
            && v.TryGetDouble(out double d) && d > 0 && d < 1_000_000)
            return (int)d;
        return null;
    }
}
