using Skald.Hub;
using Skald.Models.Adapters;
using Skald.Models.Architectures;
using Skald.Models.Modules;
using Skald.Tensors;
using Skald.Tokenizers;

namespace Skald.Models;

// SentenceEncoder, continued: loading a folder (adapters merged, hub ids located) and building the module chain from it.
public sealed partial class SentenceEncoder
{
    /// <summary>
    /// Loads a model folder, merging the PEFT LoRA adapter folders in <paramref name="adapters"/> into its weights in
    /// order (LLM2Vec's MNTP adapter, then a supervised one). An LLM2Vec folder (llm2vec_config.json in the folder or,
    /// as LLM2Vec reads it, in the last adapter) runs bidirectionally, and so does a decoder given an LLM2Vec MNTP
    /// repository as an adapter (its config.json's auto_map names LLM2Vec's encoder code), with LLM2Vec's defaults. Errors are <see cref="ModelFormatException"/> or
    /// <see cref="TokenizerException"/>. The model and each adapter may be a hub id <c>org/name[@revision]</c> (when no
    /// folder of that name exists): it is resolved in the Hugging Face cache, downloading what is missing
    /// (<see cref="HubResolver.Locate"/>; its errors are <see cref="HubException"/>). A PEFT adapter folder as <paramref name="path"/>
    /// loads onto the base its adapter_config.json names, before <paramref name="adapters"/> (<see cref="AdapterBase.Expand"/>).
    /// A cross-encoder (a <c>*ForSequenceClassification</c> config without modules.json, an adapter folder on one, or a
    /// peft SEQ_CLS adapter as the path or in <paramref name="adapters"/>) is refused in one line naming it
    /// (<see cref="NotAnEmbeddingModel"/>): it loads with <see cref="CrossEncoders.CrossEncoder.Load"/>.
    /// <para>
    /// <paramref name="precision"/> <see cref="WeightPrecision.BFloat16"/> keeps the transformer's 2-D weights (linear
    /// layers, embedding tables) in bfloat16, half the memory of float32, computing in float32; <see cref="WeightPrecision.Float16"/>
    /// likewise in IEEE float16 (an F16 checkpoint kept exactly). Such a base is frozen: inference, or LoRA training. Checkpoints stored wider are rounded to nearest even; adapters
    /// are merged in float32 and the merged weight rounded. Static models and Dense modules stay float32.
    /// </para>
    /// </summary>
    public static SentenceEncoder Load(string path, IReadOnlyList<string>? adapters = null,
        WeightPrecision precision = WeightPrecision.Float32) => Load(path, adapters, precision, "");

    /// <summary>
    /// <see cref="Load(string, IReadOnlyList{string}?, WeightPrecision)"/> with <paramref name="parameterPrefix"/> in front
    /// of every parameter's name (the transformer's and the Dense modules'): a second trainable copy of a model, as
    /// ContrastiveTension trains one beside the model, whose names must differ from the model's in a checkpoint.
    /// </summary>
    public static SentenceEncoder Load(string path, IReadOnlyList<string>? adapters, WeightPrecision precision, string parameterPrefix) =>
        Load(path, adapters, precision, parameterPrefix, cachedOnly: false, refuseCrossEncoder: true);

    // With cachedOnly, hub ids are the snapshots the hub cache holds (LoadCached); refuseCrossEncoder: as an embedding
    // model (every public Load), a cross-encoder is one line naming it (LoadAnyHead reads one's encoder on purpose).
    private static SentenceEncoder Load(string path, IReadOnlyList<string>? adapters, WeightPrecision precision, string parameterPrefix, bool cachedOnly,
        bool refuseCrossEncoder, bool lateInteraction = false)
    {
        var (source, folder, weights, located, bases) = Open(path, adapters, cachedOnly, refuseCrossEncoder);
        if (Models.LateInteraction.StanfordColbert.IsStanford(folder.Path))
            return lateInteraction ? LoadStanford(source, folder, weights, located, precision)
                : throw new ModelFormatException(Models.LateInteraction.StanfordColbert.NotASentenceEncoder(path));
        adapters = located;
        var tokenizer = folder.LoadTokenizer();
        ITransformer encoder = folder.IsStatic
            ? StaticEmbeddingModel.Load(folder.TransformerPath)
            : ArchitectureRegistry.Load(weights, precision,
                keepInt8: adapters is not { Count: > 0 } && Quantization.Int8Checkpoint.IsQuantized(folder.TransformerPath), parameterPrefix);
        try
        {
            AdapterBase.NoteOtherBase(bases, adapters ?? []);
            foreach (var adapter in adapters ?? []) PeftAdapters.Merge(adapter, encoder.Parameters, null, null, parameterPrefix);
            folder = WithAdapterSettings(folder, adapters ?? [], encoder is IDecoder);
            var model = Create(folder, tokenizer, encoder, parameterPrefix: parameterPrefix, lateInteraction: lateInteraction);
            Quantization.Int8Checkpoint.AttachIfQuantized(model, adapters is { Count: > 0 }); // a saved int8 folder: int8 only
            model.Adapters = adapters ?? [];
            model.source = source;
            return model;
        }
        catch
        {
            foreach (var p in encoder.Parameters) p.CloseFile(); // a load that fails after the build leaves no file open
            throw;
        }
    }

    private static SentenceEncoder Create(ModelFolder folder, Tokenizer tokenizer, ITransformer encoder, bool newSpladeHead = false,
        ulong seed = 42, SparseAutoEncoder? newAutoEncoder = null, string parameterPrefix = "", bool lateInteraction = false,
        DenseModule[]? newDense = null)
    {
        string path = folder.Path;
        if (folder.IsLateInteraction && !lateInteraction) throw new ModelFormatException(Models.LateInteraction.ColbertEncoder.NotASentenceEmbedder(path));
        if (folder.Bidirectional && encoder is IDecoder decoder) decoder.AttentionMode = AttentionMode.Bidirectional;
        if (tokenizer.IdBound > encoder.Config.VocabSize)
            throw new ModelFormatException(
                $"{System.IO.Path.Combine(folder.TransformerPath, "tokenizer.json")}: token ids go up to {tokenizer.IdBound - 1} but the " +
                $"model's embedding table has {encoder.Config.VocabSize} rows (vocab_size): the tokenizer does not belong to this model");
        var pooling = folder.Pooling ?? new PoolingConfig(encoder.HiddenSize, folder.Llm2Vec?.PoolingMode ?? PoolingMode.Mean);
        if (pooling.Dimension != encoder.HiddenSize)
            throw new ModelFormatException(
                $"{path}: Pooling word_embedding_dimension {pooling.Dimension} differs from the transformer's hidden_size {encoder.HiddenSize}");
        DenseModule[] dense = [.. folder.DensePaths.Select(p => DenseModule.Load(p, parameterPrefix)), .. newDense ?? []];
        int width = pooling.OutputDimension;
        foreach (var (d, p) in dense.Zip([.. folder.DensePaths, .. (newDense ?? []).Select(n => n.Weight.Name)]))
        {
            if (d.InFeatures != width)
                throw new ModelFormatException($"{p}: in_features {d.InFeatures} does not match the {width} values coming in");
            width = d.OutFeatures;
        }
        var queryDense = folder.QueryDensePaths.Select(p => DenseModule.Load(p, parameterPrefix)).ToArray();
        int queryWidth = width;
        foreach (var (d, p) in queryDense.Zip(folder.QueryDensePaths))
        {
            if (d.InFeatures != queryWidth)
                throw new ModelFormatException($"{p}: in_features {d.InFeatures} does not match the {queryWidth} values coming in");
            queryWidth = d.OutFeatures;
        }
        if (queryWidth != width)
            throw new ModelFormatException($"{path}: the query route gives {queryWidth} values but the document route {width}; both must agree");
        int max = folder.MaxSeqLength ?? folder.TokenizerMaxLength() ?? encoder.MaxSequenceLength;
        var spladeHead = folder.Splade is { } splade ? LoadSpladeHead(folder, splade, encoder, newSpladeHead, seed) : null;
        var autoEncoder = newAutoEncoder ?? (folder.AutoEncoderPath is { } saePath ? SparseAutoEncoder.Load(saePath) : null);
        if (autoEncoder is not null && autoEncoder.Config.InputDim != width)
            throw new ModelFormatException($"{folder.AutoEncoderPath}: input_dim {autoEncoder.Config.InputDim} does not match the {width} values coming in");
        var model = new SentenceEncoder(folder, tokenizer, encoder, pooling, dense, queryDense, Math.Min(max, encoder.MaxSequenceLength), spladeHead,
            autoEncoder);
        if (lateInteraction) model.AttachProjections(folder.DensePaths, parameterPrefix);
        if (folder.QueryStaticPath is { } staticQuery)
        {
            if (spladeHead is null) throw new ModelFormatException($"{staticQuery}: a SparseStaticEmbedding query route needs a sparse document route");
            model.StaticQuery = SparseStaticEmbedding.Load(staticQuery, model.Dimension, tokenizer,
                new ModelFolder { Path = staticQuery, TransformerPath = staticQuery }.TokenizerMaxLength() ?? model.MaxSeqLength,
                Path.GetRelativePath(folder.Path, staticQuery).Replace('\\', '/') + "/weight");
        }
        return model;
    }
}
