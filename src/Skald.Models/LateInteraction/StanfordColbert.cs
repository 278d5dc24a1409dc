using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Models.Modules;

namespace Skald.Models.LateInteraction;

/// <summary>
/// A ColBERT checkpoint as the Stanford ColBERT code saves it (colbert-ir/colbertv2.0 and the models trained with that
/// code): no modules.json; config.json naming <c>architectures: ["HF_ColBERT"]</c> over an ordinary encoder
/// (<c>model_type</c> bert, xlm-roberta, ...), the weights holding the encoder under its base-model prefix
/// (<c>bert.</c>) beside the projection <c>linear.weight</c> [dim, hidden] (no bias), and the ColBERT settings in
/// <c>artifact.metadata</c> (JSON). It loads as PyLate loads it (<c>ColBERT.__init__</c> with a checkpoint of fewer
/// than two modules whose first architecture is HF_ColBERT, and <c>Dense.from_stanford_weights</c>): the prefix tokens
/// are <c>query_token_id</c> / <c>doc_token_id</c> (default <c>[unused0]</c> / <c>[unused1]</c>, put after the first
/// token as the Stanford tokenizers put their markers), the lengths <c>query_maxlen</c> / <c>doc_maxlen</c>,
/// <c>attend_to_mask_tokens</c> the expansion tokens' attention; queries are always expanded with [MASK].
/// </summary>
/// <remarks>
/// <c>mask_punctuation</c> is not read, as PyLate does not read it: documents skip PyLate's default skiplist
/// (string.punctuation) whatever it says, at inference and in training, and the trained folder saves that skiplist
/// (the Stanford code itself keeps punctuation vectors under <c>mask_punctuation: false</c>). <c>similarity: "l2"</c> scores by
/// −‖q−d‖², which for unit vectors is 2·MaxSim − 2·|q| and so ranks a query's documents as MaxSim does; Skald (as
/// PyLate) reports MaxSim. Upstream:
/// https://github.com/lightonai/pylate/blob/1f1f47cee5df35ebe6fd2286a0a205a1523e4119/pylate/models/colbert.py,
/// https://github.com/lightonai/pylate/blob/1f1f47cee5df35ebe6fd2286a0a205a1523e4119/pylate/models/Dense.py,
/// https://github.com/stanford-futuredata/ColBERT/blob/501c29d9/colbert/modeling/hf_colbert.py (and tokenization/,
/// colbert.py, infra/config/settings.py for the defaults).
/// </remarks>
public static class StanfordColbert
{
    /// <summary>The settings file the Stanford code saves beside config.json.</summary>
    public const string MetadataFile = "artifact.metadata";

    /// <summary>The architecture name config.json carries.</summary>
    public const string Architecture = "HF_ColBERT";

    /// <summary>The name the projection is given among a model's parameters.</summary>
    public const string LinearModule = "linear";

    /// <summary>
    /// The class transformers' AutoModel builds for a Stanford checkpoint's <paramref name="modelType"/> (BertModel for
    /// bert), which its save_pretrained writes as config.json's architectures: the encoder sentence-transformers'
    /// Transformer module holds once PyLate has loaded the checkpoint. Falls back to "BertModel" for a type Skald does not name.
    /// </summary>
    public static string EncoderArchitecture(string modelType) => AutoModelClass.Of(modelType) ?? "BertModel";

    /// <summary>
    /// Whether <paramref name="path"/> is a Stanford ColBERT folder: no modules.json, config.json's first architecture
    /// HF_ColBERT. A config.json that is no JSON object is one line naming it (<see cref="JsonFiles.ReadObject"/>), as
    /// every loader reads it: a config.json in UTF-16 or with a byte order mark is read, not taken for another kind of folder.
    /// </summary>
    public static bool IsStanford(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string config = Path.Combine(path, "config.json");
        if (!Directory.Exists(path) || File.Exists(Path.Combine(path, "modules.json")) || !File.Exists(config)) return false;
        using var doc = JsonFiles.ReadObject(config);
        return TransformerConfig.ArchitectureOf(doc.RootElement) == Architecture;
    }

    /// <summary>The one line refusing a Stanford ColBERT checkpoint where a sentence embedder is loaded.</summary>
    public static string NotASentenceEncoder(string path) =>
        $"{path}: a Stanford ColBERT checkpoint ({Architecture}, {MetadataFile}), one vector per token, not a sentence embedder; load it with " +
        "ColbertEncoder.Load (library) or use it with skald rerank, skald evaluate, skald index and skald train (CLI)";

    /// <summary>
    /// The settings of the Stanford folder <paramref name="folder"/> from its artifact.metadata (PyLate's defaults for
    /// an absent file or key, the prefixes excepted: <c>[unused0]</c> / <c>[unused1]</c>; the skiplist always PyLate's
    /// default, as <c>ColBERT.__init__</c> reads no <c>mask_punctuation</c>). A value of the wrong type is a
    /// <see cref="ModelFormatException"/> naming the file and key.
    /// </summary>
    public static ColbertSettings ReadSettings(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var s = new ColbertSettings { QueryPrefix = "[unused0]", DocumentPrefix = "[unused1]" };
        string file = Path.Combine(folder, MetadataFile);
        if (!File.Exists(file)) return s;
        using var doc = JsonFiles.Read(file);
        var r = doc.RootElement;
        if (r.ValueKind != JsonValueKind.Object) throw new ModelFormatException($"{file}: expected a JSON object");
        if (r.TryGetProperty("config", out var nested) && nested.ValueKind == JsonValueKind.Object) r = nested; // an older export, as ColBERTConfig.from_path reads it
        if (JsonFiles.Str(r, "similarity", file) is { } similarity && similarity is not ("cosine" or "l2"))
            throw new ModelFormatException($"{file}: key \"similarity\" must be \"cosine\" or \"l2\", found \"{similarity}\"");
        return s with
        {
            QueryPrefix = Marker(r, "query_token_id", file) ?? s.QueryPrefix,
            DocumentPrefix = Marker(r, "doc_token_id", file) ?? s.DocumentPrefix,
            QueryLength = Length(r, "query_maxlen", file) ?? s.QueryLength,
            DocumentLength = Length(r, "doc_maxlen", file) ?? s.DocumentLength,
            AttendToExpansionTokens = JsonFiles.Bool(r, "attend_to_mask_tokens", file, s.AttendToExpansionTokens),
            DoQueryExpansion = true,
        };
    }

    /// <summary>
    /// A <c>note:</c> when the base the Stanford folder <paramref name="folder"/> records (artifact.metadata's
    /// <c>checkpoint</c>, the model its training started from) is found here and is another kind of encoder than the
    /// checkpoint's own (<see cref="Adapters.AdapterBase.NoteStanfordBase"/>); nothing without the file, the key or the base.
    /// </summary>
    public static void NoteOtherBase(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        string file = Path.Combine(folder, MetadataFile);
        if (!File.Exists(file)) return;
        string? recorded;
        using (var doc = JsonFiles.Read(file))
        {
            var r = doc.RootElement;
            if (r.ValueKind == JsonValueKind.Object && r.TryGetProperty("config", out var nested) && nested.ValueKind == JsonValueKind.Object) r = nested;
            recorded = r.ValueKind == JsonValueKind.Object && r.TryGetProperty("checkpoint", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
        }
        Adapters.AdapterBase.NoteStanfordBase(folder, recorded);
    }

    /// <summary>
    /// The projection of the Stanford folder <paramref name="folder"/>: its weights' <c>linear.weight</c> [dim,
    /// <paramref name="hiddenSize"/>] as a bias-free Dense without activation, checked against artifact.metadata's
    /// <c>dim</c> when it names one.
    /// </summary>
    public static DenseModule LoadLinear(string folder, int hiddenSize) => LoadLinear(folder, hiddenSize, LinearModule);

    /// <summary><see cref="LoadLinear(string, int)"/> with the parameter named <c>{<paramref name="module"/>}/linear.weight</c>.</summary>
    public static DenseModule LoadLinear(string folder, int hiddenSize, string module)
    {
        ArgumentNullException.ThrowIfNull(folder);
        string key = LinearModule + ".weight";
        using var weights = Checkpoint.OpenFolder(folder);
        if (!weights.Contains(key))
            throw new ModelFormatException($"{weights.Description}: no tensor \"{key}\", the projection a Stanford ColBERT ({Architecture}) checkpoint holds");
        var shape = weights.Shape(key);
        if (shape is not [var dim, var width] || width != hiddenSize || dim < 1)
            throw new ModelFormatException($"{weights.Description}: tensor \"{key}\" has shape [{string.Join(", ", shape)}], expected [dim, {hiddenSize}] (the hidden size)");
        string file = Path.Combine(folder, MetadataFile);
        if (File.Exists(file))
        {
            using var doc = JsonFiles.Read(file);
            var r = doc.RootElement.TryGetProperty("config", out var nested) && nested.ValueKind == JsonValueKind.Object ? nested : doc.RootElement;
            if (JsonFiles.Int(r, "dim", file) is int named && named != dim)
                throw new ModelFormatException($"{file}: key \"dim\" is {named} but the checkpoint's \"{key}\" gives {dim}-value vectors");
        }
        return DenseModule.CreateLinear(module, hiddenSize, dim, weights.Read(key, dim, hiddenSize));
    }

    /// <summary>
    /// Checks settings read by <see cref="ReadSettings"/> against the model: each marker a token of
    /// <paramref name="tokenizer"/>, each length within <paramref name="positions"/>; errors name artifact.metadata's key.
    /// </summary>
    public static void Check(string folder, ColbertSettings settings, Skald.Tokenizers.Tokenizer tokenizer, int positions)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(tokenizer);
        string file = Path.Combine(folder, MetadataFile);
        foreach (var (key, token) in new[] { ("query_token_id", settings.QueryPrefix), ("doc_token_id", settings.DocumentPrefix) })
        {
            if (token.Length > 0 && tokenizer.TokenToId(token) is null)
                throw new ModelFormatException($"{file}: key \"{key}\" names the token \"{token}\", which the tokenizer does not have");
        }
        foreach (var (key, length) in new[] { ("query_maxlen", settings.QueryLength), ("doc_maxlen", settings.DocumentLength) })
        {
            if (length > positions) throw new ModelFormatException($"{file}: key \"{key}\" is {length}, more tokens than the model's {positions} positions");
        }
    }

    // A marker names a token of the vocabulary (the Stanford tokenizers' convert_tokens_to_ids); "" would mean none.
    private static string? Marker(JsonElement r, string key, string file) => JsonFiles.Str(r, key, file) switch
    {
        "" => throw new ModelFormatException($"{file}: key \"{key}\" is empty; a Stanford ColBERT marks its texts with a token"),
        var s => s,
    };

    // As ColbertSettings' lengths: at least the first token and the marker.
    private static int? Length(JsonElement r, string key, string file) => JsonFiles.Int(r, key, file) switch
    {
        int n and < 2 => throw new ModelFormatException($"{file}: key \"{key}\" must be at least 2 (tokens, the marker included), found {n}"),
        var n => n,
    };
}
