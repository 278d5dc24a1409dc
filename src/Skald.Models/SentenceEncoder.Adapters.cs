using Skald.Hub;
using Skald.Models.Adapters;
using Skald.Models.Modules;
using Skald.Tensors;

namespace Skald.Models;

// SentenceEncoder, continued: which PEFT adapters a load merged, and a model path that is an adapter folder.
public sealed partial class SentenceEncoder
{
    /// <summary>
    /// The PEFT adapter folders merged into the weights at load, in order, located: those given, preceded — when the
    /// model path was an adapter folder — by that folder (and the adapters it was trained on top of) over its base
    /// (<see cref="AdapterBase.Expand"/>). Loading <see cref="Folder"/>'s path with these gives this model again.
    /// </summary>
    public IReadOnlyList<string> Adapters { get; private set; } = [];

    /// <summary>
    /// The folder this model was loaded from (a hub id located): <see cref="Folder"/>'s path, except for an adapter
    /// folder given as the model, which loads its base's folder (<see cref="Folder"/>) with the adapter merged on top:
    /// then that adapter folder. It names the model whose embeddings these are (the base alone makes others): what a
    /// search index records as its model, and what a served index is checked against. Models made from this one
    /// (<see cref="WithAttention"/>, <see cref="AsSparse"/>, <see cref="AsCsr"/>) keep it.
    /// </summary>
    public string Source => source ?? Folder.Path;

    private string? source;

    /// <summary>
    /// What loading <paramref name="path"/> (a model folder, an adapter folder, or a hub id) reads, without loading it:
    /// the model folder whose module chain, tokenizer and configs it reads (for an adapter folder, its base), the folder
    /// its transformer's config.json and weights come from, and the adapter folders merged into them, in order (an
    /// adapter folder's base chain, <see cref="AdapterBase.Expand"/>). What identifies a model's embeddings must cover
    /// these folders, not only <paramref name="path"/> (a search index's model fingerprint, a benchmark's cache key).
    /// Errors as <see cref="Load(string, IReadOnlyList{string}?, WeightPrecision)"/>'s, except that a cross-encoder is
    /// described, not refused: what reads one on purpose (training it, cutting its layers, a reranker's cache key) reads these folders too.
    /// With <paramref name="cachedOnly"/> the hub is never asked: a hub id (the path, or a base or earlier adapter an
    /// adapter folder names) is the snapshot the hub cache holds for its revision (<see cref="HubResolver.LocateCached"/>),
    /// and one the cache lacks is a one-line <see cref="HubException"/>; what a check of a model already loaded reads.
    /// </summary>
    public static (ModelFolder Folder, string Weights, IReadOnlyList<string> Adapters) Sources(string path, bool cachedOnly = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        var (_, folder, weights, adapters, _) = Open(path, null, cachedOnly, refuseCrossEncoder: false);
        return (folder, weights, adapters);
    }

    /// <summary>
    /// <see cref="Load(string, IReadOnlyList{string}?, WeightPrecision)"/> without asking the hub: a hub id (the path, or a
    /// base or earlier adapter an adapter folder names) is the snapshot the hub cache holds for its revision, as
    /// <see cref="Sources"/> with <c>cachedOnly</c> reads it, and one the cache lacks is a one-line
    /// <see cref="HubException"/>. So a model checked through <see cref="Sources"/> (a search index's model fingerprint)
    /// loads as it was checked, not as a newer revision the hub may have since.
    /// </summary>
    public static SentenceEncoder LoadCached(string path, WeightPrecision precision = WeightPrecision.Float32)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Load(path, null, precision, "", cachedOnly: true, refuseCrossEncoder: true);
    }

    /// <summary>
    /// <see cref="Load(string, IReadOnlyList{string}?, WeightPrecision, string)"/> without refusing a cross-encoder
    /// (<see cref="NotAnEmbeddingModel"/>): its transformer read as an embedding model's, mean pooled, its
    /// classification head left out. For what reads a cross-encoder's encoder on purpose and never embeds with it as one:
    /// training (a cross-encoder loss reads the head again from the folder), skald info, cutting layers. Everything that
    /// embeds loads through the public overloads, which refuse.
    /// </summary>
    internal static SentenceEncoder LoadAnyHead(string path, IReadOnlyList<string>? adapters = null, WeightPrecision precision = WeightPrecision.Float32,
        string parameterPrefix = "") =>
        Load(path, adapters, precision, parameterPrefix, cachedOnly: false, refuseCrossEncoder: false);

    /// <summary>
    /// The one line refusing a cross-encoder as an embedding model: <paramref name="path"/> scores pairs (a
    /// <c>*ForSequenceClassification</c> config without modules.json, or a peft SEQ_CLS adapter); mean pooling its
    /// encoder, as sentence-transformers does with only a warning, drops the head it was trained with.
    /// </summary>
    public static string NotAnEmbeddingModel(string path) =>
        $"{path}: a cross-encoder (a sequence classifier that scores pairs), not an embedding model; load it with CrossEncoder.Load (library) or use skald rerank (CLI)";

    /// <summary>
    /// The model folder a load of <paramref name="path"/> (a model folder, an adapter folder, or a hub id) with
    /// <paramref name="adapters"/> reads its tokenizer and settings from, as the load configures it, without reading
    /// weights: for an adapter folder its base's folder (whose <see cref="ModelFolder.TransformerPath"/> holds the
    /// tokenizer.json), made LLM2Vec by the last adapter's llm2vec_config.json (its max_length and doc_max_length) as
    /// <see cref="Load(string, IReadOnlyList{string}?, WeightPrecision)"/> makes it. What reads a model's tokenizer or
    /// length without embedding (a tokenizer option given a model folder, a chunk budget) asks this. Errors as
    /// <see cref="Sources"/>'.
    /// </summary>
    public static ModelFolder Describe(string path, IReadOnlyList<string>? adapters = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var (_, folder, weights, located, _) = Open(path, adapters, cachedOnly: false, refuseCrossEncoder: false);
        return WithAdapterSettings(folder, located, !folder.IsStatic && Architectures.DecoderConfigReader.IsDecoder(AdapterBase.ModelType(weights) ?? ""));
    }

    // What the adapters merged into a model change of its folder's settings: the last one's llm2vec_config.json makes it
    // LLM2Vec's (its max_length, doc_max_length, pooling); else an LLM2Vec MNTP repository (its bidirectional code in
    // auto_map) on a decoder makes it run with LLM2Vec's defaults. The one rule of Load and Describe.
    private static ModelFolder WithAdapterSettings(ModelFolder folder, IReadOnlyList<string> adapters, bool isDecoder)
    {
        if (adapters is [.., var last] && File.Exists(Path.Combine(last, Llm2VecConfig.FileName))) return folder.WithLlm2VecConfig(last);
        return adapters.Count > 0 && adapters.Any(Architectures.CustomCode.IsLlm2VecEncoder) && isDecoder ? folder.AsLlm2Vec() : folder;
    }

    /// <summary>
    /// The path given, located; the model folder to load, the folder its transformer's config.json and weights come from, and the adapter folders
    /// to merge: hub ids located, an adapter folder given as the model expanded to its base
    /// (<see cref="AdapterBase.Expand"/>), and a sentence-transformers folder saved with a peft adapter on its
    /// Transformer module (<c>SentenceTransformer.add_adapter</c>, then save: modules.json, Pooling and the tokenizer
    /// beside adapter_config.json, no weights) read with its base's transformer weights and the adapter merged first.
    /// With <paramref name="refuseCrossEncoder"/>, a cross-encoder (the folder, an adapter folder given as the path, or a
    /// SEQ_CLS adapter among <paramref name="adapters"/>) is a <see cref="ModelFormatException"/> of one line naming it.
    /// The one adapter resolution of every loader of a model folder (<see cref="LateInteraction.ColbertEncoder.Load"/> too).
    /// Bases: the folders the adapters are merged into, the one to name first (<see cref="AdapterBase.NoteOtherBase"/>).
    /// </summary>
    internal static (string Source, ModelFolder Folder, string Weights, IReadOnlyList<string> Adapters, IReadOnlyList<string> Bases) Open(string path, IReadOnlyList<string>? adapters,
        bool cachedOnly, bool refuseCrossEncoder)
    {
        Func<string, string> locate = cachedOnly ? HubResolver.LocateCached : a => HubResolver.Locate(a);
        string source = locate(path);
        var (model, located) = AdapterBase.Expand(source, adapters?.Select(locate).ToList(), cachedOnly);
        if (refuseCrossEncoder) RefuseCrossEncoder(path, model, located, own: located.Count - (adapters?.Count ?? 0));
        var folder = ModelFolder.Read(model);
        if (folder.IsStatic || !ModelFolder.IsAdapterModule(folder.TransformerPath))
            return (source, folder, folder.TransformerPath, located, [model, folder.TransformerPath]);
        var (baseModel, chain) = AdapterBase.ExpandModule(folder.TransformerPath, cachedOnly);
        var baseFolder = ModelFolder.Read(baseModel);
        if (baseFolder.IsStatic)
            throw new ModelFormatException($"{Path.Combine(folder.TransformerPath, PeftAdapters.ConfigFile)}: the base {baseModel} is a static model; a LoRA adapter goes on a transformer");
        return (source, folder, baseFolder.TransformerPath, [.. chain, .. located], [baseModel, baseFolder.TransformerPath, model]);
    }

    // The refusal of a cross-encoder loaded to embed: the model folder, or the first `own` adapters (the chain an adapter
    // folder given as path brings), named by path; a SEQ_CLS adapter among those given after them, by its own folder.
    private static void RefuseCrossEncoder(string path, string model, IReadOnlyList<string> located, int own)
    {
        if (CrossEncoders.CrossEncoder.IsCrossEncoder(model) || located.Take(own).Any(AdapterBase.IsSequenceClassification))
            throw new ModelFormatException(NotAnEmbeddingModel(path));
        if (located.Skip(own).FirstOrDefault(AdapterBase.IsSequenceClassification) is { } classifier)
            throw new ModelFormatException(NotAnEmbeddingModel(classifier));
    }

    /// <summary>
    /// The files that make this model an LLM2Vec one when its last adapter made it one, which a copy of its base folder
    /// (a model quantized or cut from it) lacks: that adapter's llm2vec_config.json and the config_sentence_transformers.json
    /// beside it (a Skald run's query instruction), the two files a load reads there. None when the base folder is the
    /// LLM2Vec one, or the model is none. A model made LLM2Vec without the file (an MNTP repository's code alone) is
    /// refused in one line: merge first, which writes llm2vec_config.json.
    /// </summary>
    internal IReadOnlyList<string> Llm2VecAdapterFiles()
    {
        if (Folder.Llm2Vec is null || Adapters is not [.., var last]
            || File.Exists(Path.Combine(Folder.Path, Llm2VecConfig.FileName)) && !File.Exists(Path.Combine(last, Llm2VecConfig.FileName)))
            return [];
        if (!File.Exists(Path.Combine(last, Llm2VecConfig.FileName)))
            throw new ModelFormatException($"{last}: the model runs as LLM2Vec's bidirectional one, but neither this adapter nor its base " +
                $"{Folder.Path} has the {Llm2VecConfig.FileName} that says so, and a copy of the base folder would run causally: " +
                "merge the adapters first (skald merge, which writes it), then save the merged folder");
        return [.. new[] { Llm2VecConfig.FileName, "config_sentence_transformers.json" }.Select(f => Path.Combine(last, f)).Where(File.Exists)];
    }
}
