using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Tensors;
using Skald.Tokenizers;

namespace Skald.Training.Static;

/// <summary>
/// Writes a static model as sentence-transformers 5.x's <c>SentenceTransformer.save</c> does for
/// <c>SentenceTransformer(modules=[StaticEmbedding(...)(, Normalize())])</c>:
/// <code>
/// modules.json                       [{"idx":0,"name":"0","path":"0_StaticEmbedding","type":"sentence_transformers.models.StaticEmbedding"}(, 1_Normalize)]
/// config_sentence_transformers.json  model_type, __version__, prompts, default_prompt_name, similarity_fn_name
/// README.md                          model card
/// 0_StaticEmbedding/model.safetensors  embedding.weight [V, D] (F32, metadata format=pt)
/// 0_StaticEmbedding/tokenizer.json     the tokenizer, padding and truncation off
/// 1_Normalize/                       empty, when normalising
/// </code>
/// No sentence_bert_config.json: StaticEmbedding has no config keys and no <c>save_in_root</c>. The folder is built
/// under a temporary name next to the target and renamed into place, so a reader never sees half a model.
/// </summary>
public static class StaticModelWriter
{
    /// <summary>Key of the table in <c>0_StaticEmbedding/model.safetensors</c>.</summary>
    public const string WeightName = "embedding.weight";

    /// <summary>The module folder name (<c>{idx}_{ClassName}</c>).</summary>
    public const string ModuleFolder = "0_StaticEmbedding";

    /// <summary>Version block written in config_sentence_transformers.json (the format is sentence-transformers 5.1's).</summary>
    public static readonly IReadOnlyDictionary<string, string> Versions = new Dictionary<string, string>
    {
        ["sentence_transformers"] = "5.1.0", ["transformers"] = "4.56.0", ["pytorch"] = "2.8.0",
    };

    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Writes a static model — <paramref name="table"/> [V, <paramref name="dim"/>] over the tokenizer in
    /// <paramref name="tokenizerJson"/> (tokenizer.json text) — to <paramref name="dir"/>, replacing an existing folder.
    /// </summary>
    public static void Save(string dir, string tokenizerJson, ReadOnlyMemory<float> table, int dim, bool normalize,
        string? modelCard = null)
    {
        ArgumentNullException.ThrowIfNull(dir);
        ArgumentNullException.ThrowIfNull(tokenizerJson);
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        if (table.Length % dim != 0) throw new ArgumentException($"a table of {table.Length} values has no {dim} columns", nameof(table));
        int vocab = table.Length / dim;
        StagingPaths.ReplaceFolder(dir, tmp => Write(tmp, tokenizerJson, table, vocab, dim, normalize, modelCard ?? ModelCard(vocab, dim, normalize)));
    }

    /// <summary>
    /// Writes a new static model over the tokenizer in <paramref name="tokenizerPath"/> whose table entries are drawn
    /// N(0, 1), as PyTorch's <c>nn.EmbeddingBag</c> (sentence-transformers' <c>StaticEmbedding(tokenizer,
    /// embedding_dim=D)</c>), so its learning rates (0.05–0.2 with AdamW) carry over; a pure function of
    /// <paramref name="seed"/>. Returns <paramref name="dir"/>.
    /// </summary>
    public static string CreateRandom(string dir, string tokenizerPath, int dim, bool normalize, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        string json = Skald.Tokenizers.Serialization.Utf8File.ReadAllText(tokenizerPath, m => new TokenizerException(m)); // copied into the model: never with U+FFFD
        int vocab = Tokenizer.FromJson(json, tokenizerPath).VocabSize;
        long n = (long)vocab * dim;
        if (n > Array.MaxLength)
            throw new Config.TrainingException($"dimension {dim}: a {vocab} × {dim} table is too large (at most {Array.MaxLength} values; a static model's width is a few hundred)");
        var table = new float[n];
        var rng = new SkaldRandom(seed);
        for (int i = 0; i < table.Length; i++) table[i] = (float)rng.NextGaussian();
        Save(dir, json, table, dim, normalize);
        return dir;
    }

    private static void Write(string dir, string tokenizerJson, ReadOnlyMemory<float> table, int vocab, int dim, bool normalize, string card)
    {
        string module = Path.Combine(dir, ModuleFolder);
        Directory.CreateDirectory(module);
        SafeTensorsWriter.Write(Path.Combine(module, "model.safetensors"), [new TensorToWrite(WeightName, [vocab, dim], table)]);
        File.WriteAllText(Path.Combine(module, "tokenizer.json"), WithoutPadding(tokenizerJson), new UTF8Encoding(false));

        var modules = new JsonArray { Module(0, ModuleFolder, StaticEmbeddingModel.ModuleType) };
        if (normalize)
        {
            Directory.CreateDirectory(Path.Combine(dir, "1_Normalize"));
            modules.Add(Module(1, "1_Normalize", "sentence_transformers.models.Normalize"));
        }
        WriteJson(Path.Combine(dir, "modules.json"), modules);
        var version = new JsonObject();
        foreach (var (k, v) in Versions) version[k] = v;
        WriteJson(Path.Combine(dir, "config_sentence_transformers.json"), new JsonObject
        {
            ["model_type"] = "SentenceTransformer",
            ["__version__"] = version,
            ["prompts"] = new JsonObject { ["query"] = "", ["document"] = "" },
            ["default_prompt_name"] = null,
            ["similarity_fn_name"] = "cosine",
        });
        File.WriteAllText(Path.Combine(dir, "README.md"), card, new UTF8Encoding(false));
    }

    /// <summary>
    /// tokenizer.json with <c>"padding": null</c> (StaticEmbedding calls <c>no_padding()</c>) and
    /// <c>"truncation": null</c> (a static model has no length limit; Python's tokenizers would otherwise apply a
    /// truncation section on its own, Skald does not); the text is unchanged when both are already off.
    /// </summary>
    internal static string WithoutPadding(string json)
    {
        using (var doc = JsonDocument.Parse(json))
        {
            static bool Off(JsonElement root, string key) =>
                !root.TryGetProperty(key, out var p) || p.ValueKind == JsonValueKind.Null;
            if (Off(doc.RootElement, "padding") && Off(doc.RootElement, "truncation")) return json;
        }
        var node = JsonNode.Parse(json)!.AsObject();
        node["padding"] = null;
        node["truncation"] = null;
        return node.ToJsonString(Indented);
    }

    /// <summary>A sentence-transformers style model card for a static model.</summary>
    public static string ModelCard(int vocab, int dim, bool normalize, string? baseModel = null, string? trainingNotes = null)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("---\n");
        if (Skald.Hub.HubId.IsRepoId(baseModel)) sb.Append(inv, $"base_model: {baseModel}\n"); // only a hub id (see ModelCard.FrontMatter)
        sb.Append("library_name: sentence-transformers\npipeline_tag: sentence-similarity\ntags:\n- sentence-transformers\n")
          .Append("- sentence-similarity\n- feature-extraction\n- static-embeddings\n---\n\n");
        sb.Append("# Static embedding model\n\n")
          .Append("A sentence-transformers StaticEmbedding model written by Skald: a token-embedding table whose mean over a ")
          .Append("text's tokens is the text's embedding. It runs fast on CPU: no attention, no layers.\n\n");
        sb.Append("## Model Details\n\n### Model Description\n")
          .Append("- **Model Type:** Sentence Transformer (StaticEmbedding)\n")
          .Append(inv, $"- **Maximum Sequence Length:** inf tokens\n- **Output Dimensionality:** {dim} dimensions\n")
          .Append("- **Similarity Function:** Cosine Similarity\n")
          .Append(inv, $"- **Vocabulary Size:** {vocab} tokens\n\n");
        sb.Append("### Full Model Architecture\n\n```\nSentenceTransformer(\n  (0): StaticEmbedding(\n")
          .Append(inv, $"    (embedding): EmbeddingBag({vocab}, {dim}, mode='mean')\n  )\n");
        if (normalize) sb.Append("  (1): Normalize()\n");
        sb.Append(")\n```\n\n");
        sb.Append("## Usage\n\n### Direct Usage (Sentence Transformers)\n\n```python\nfrom sentence_transformers import SentenceTransformer\n\n")
          .Append("model = SentenceTransformer(\"path/to/this/folder\")\nembeddings = model.encode([\"Hvor ligger legekontoret?\", \"Legekontoret ligger i sentrum.\"])\n```\n\n")
          .Append("### Direct Usage (Skald)\n\n```csharp\nvar model = SentenceEncoder.Load(\"path/to/this/folder\");\n")
          .Append("float[][] embeddings = model.Encode([\"Hvor ligger legekontoret?\", \"Legekontoret ligger i sentrum.\"]);\n```\n");
        if (trainingNotes is not null) sb.Append("\n## Training Details\n\n").Append(trainingNotes).Append('\n');
        sb.Append("\n### Framework Versions\n\n- Skald (C#/.NET)\n");
        foreach (var (k, v) in Versions) sb.Append(inv, $"- Format: {k} {v}\n");
        return sb.ToString();
    }

    private static JsonObject Module(int idx, string path, string type) => new()
    {
        ["idx"] = idx, ["name"] = idx.ToString(CultureInfo.InvariantCulture), ["path"] = path, ["type"] = type,
    };

    private static void WriteJson(string path, JsonNode node) =>
        File.WriteAllText(path, node.ToJsonString(Indented), new UTF8Encoding(false));
}
