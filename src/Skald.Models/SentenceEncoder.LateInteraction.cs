using Skald.Models.Architectures;
using Skald.Models.LateInteraction;
using Skald.Models.Modules;
using Skald.Tensors;
using Skald.Tensors.Autograd;

namespace Skald.Models;

/// <summary>
/// A late-interaction (ColBERT) model being trained: the same transformer and Dense modules as
/// <see cref="ColbertEncoder"/> runs, here as a <see cref="SentenceEncoder"/> so that training (its recording passes,
/// parameters, LoRA, checkpoints) needs nothing of its own; <see cref="ForwardTokens"/> is its output, one vector per token.
/// </summary>
public sealed partial class SentenceEncoder
{
    /// <summary>
    /// A late-interaction model's inputs and settings (PyLate's tokenize, prefixes, lengths, expansion, skiplist); null
    /// for a sentence embedder. Such a model's output is <see cref="ForwardTokens"/>, not <see cref="Forward(Tape, ModelInputs, bool)"/>.
    /// </summary>
    public ColbertInputs? LateInteraction { get; private set; }

    private ColbertProjection[] projections = [];

    /// <summary>
    /// Loads a PyLate ColBERT folder, or a Stanford ColBERT checkpoint as PyLate loads one (<see cref="StanfordColbert"/>:
    /// its projection the first Dense module, its settings from artifact.metadata), for training (<see cref="ColbertEncoder"/> is its inference form), with
    /// <paramref name="settings"/> instead of its config_sentence_transformers.json's when given (errors then name
    /// <paramref name="keyPrefix"/> and the key, e.g. a training config's <c>model.</c>).
    /// </summary>
    public static SentenceEncoder LoadLateInteraction(string path, IReadOnlyList<string>? adapters = null,
        WeightPrecision precision = WeightPrecision.Float32, ColbertSettings? settings = null, string? keyPrefix = null)
    {
        var model = Load(path, adapters, precision, "", cachedOnly: false, refuseCrossEncoder: true, lateInteraction: true);
        try
        {
            bool stanford = StanfordColbert.IsStanford(model.Folder.Path);
            if (stanford) StanfordColbert.NoteOtherBase(model.Folder.Path);
            if (stanford && settings is null)
            {
                settings = StanfordColbert.ReadSettings(model.Folder.Path);
                StanfordColbert.Check(model.Folder.Path, settings, model.Tokenizer, model.Transformer.MaxSequenceLength);
            }
            model.LateInteraction = ColbertInputs.Create(model.Folder, model.Tokenizer, settings ?? ColbertSettings.Read(model.Folder.Path), model.Transformer, keyPrefix);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    // A Stanford ColBERT checkpoint (HF_ColBERT) as PyLate's ColBERT.__init__ makes it a model to train: the encoder's
    // weights (under "bert.", which the registry strips) as the Transformer module, Dense.from_stanford_weights' bias-free
    // projection from "linear.weight" as the first Dense module (1_Dense, the name a PyLate save gives it), no Pooling.
    private static SentenceEncoder LoadStanford(string source, ModelFolder folder, string weights, IReadOnlyList<string> adapters, WeightPrecision precision)
    {
        if (adapters.Count > 0)
            throw new ModelFormatException($"{folder.Path}: a Stanford ColBERT checkpoint ({StanfordColbert.Architecture}) with peft adapters is not supported; merge them first");
        var tokenizer = folder.LoadTokenizer();
        var transformer = ArchitectureRegistry.Load(weights, precision);
        try
        {
            var linear = StanfordColbert.LoadLinear(folder.Path, transformer.HiddenSize, "1_Dense");
            var model = Create(folder with { Pooling = null, Normalize = false, IsLateInteraction = true, IsSentenceTransformers = true }, tokenizer, transformer,
                lateInteraction: true, newDense: [linear]);
            model.source = source;
            return model;
        }
        catch
        {
            foreach (var p in transformer.Parameters) p.CloseFile();
            throw;
        }
    }

    /// <summary>
    /// This model as a ColBERT, as PyLate's <c>ColBERT(model_name_or_path=...)</c> builds one from a base: the same
    /// transformer (shared, as <see cref="AsSparse"/> shares it) and the folder's Dense modules applied to every token
    /// (Pooling and Normalize dropped; PyLate keeps a sentence-transformers Dense's bias and activation), then, when there is none or the last one's width is not
    /// <paramref name="embeddingSize"/>, a new bias-free Dense to <paramref name="embeddingSize"/> (128 when null)
    /// initialised as torch's nn.Linear (kaiming_uniform with a = √5: U(−1/√in, 1/√in)) from <paramref name="seed"/>.
    /// A folder that is a ColBERT already is one. The prefixes of <paramref name="settings"/> must be tokens of the
    /// vocabulary (Skald does not add tokens to a tokenizer yet). Errors name <paramref name="keyPrefix"/> and the key
    /// (a training config's <c>model.</c>) when given, else config_sentence_transformers.json.
    /// </summary>
    public SentenceEncoder AsLateInteraction(ColbertSettings settings, int? embeddingSize = null, ulong seed = 42, string? keyPrefix = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ThrowIfDisposed();
        if (LateInteraction is not null) throw new ModelFormatException($"{Folder.Path}: a late-interaction model already");
        if (Folder.IsStatic || IsSparse || Folder.Llm2Vec is not null || queryDense.Length > 0 || StaticQuery is not null || Transformer is IDecoder)
            throw new ModelFormatException($"{Folder.Path}: a ColBERT is made of an encoder (BERT, XLM-R, ModernBERT, ...) with token states; " +
                "this model is a static, sparse, routed or decoder model");
        if (embeddingSize is < 1) throw new ArgumentOutOfRangeException(nameof(embeddingSize), "embedding_size must be at least 1");
        int width = Transformer.HiddenSize;
        foreach (var d in dense)
        {
            if (d.InFeatures != width)
                throw new ModelFormatException($"{d.Weight.Name}: in_features {d.InFeatures} does not match the {width} values of a token state (this Dense follows a pooling that concatenates)");
            width = d.OutFeatures;
        }
        DenseModule[] added = [];
        if (dense.Length == 0 || (embeddingSize is { } e && e != width))
        {
            int size = embeddingSize ?? 128;
            var weight = new float[size * width];
            float bound = 1f / MathF.Sqrt(width);
            new SkaldRandom(seed).FillUniform(weight, -bound, bound);
            int index = dense.Length + 1; // a name no Dense of the folder has (a sentence-transformers folder's may be 2_Dense)
            while (dense.Any(d => d.Weight.Name.StartsWith($"{index}_Dense/", StringComparison.Ordinal))) index++;
            added = [DenseModule.CreateLinear($"{index}_Dense", width, size, weight)];
        }
        var folder = Folder with { Pooling = null, Normalize = false, IsLateInteraction = true, IsSentenceTransformers = true };
        var model = ShareLifetime(Create(folder, Tokenizer, Transformer, lateInteraction: true, newDense: added));
        model.LateInteraction = ColbertInputs.Create(folder, Tokenizer, settings, Transformer, keyPrefix);
        return model;
    }

    /// <summary>
    /// A late-interaction model's token vectors on <paramref name="tape"/>: the transformer over <paramref name="tokens"/>
    /// (padded, [B·T, C]), then every Dense module on every row: [B·T, <see cref="Dimension"/>], not yet normalised and
    /// not yet masked (<see cref="ColbertInputs.Keeps"/> says which rows are vectors).
    /// </summary>
    public Variable ForwardTokens(Tape tape, TokenBatch tokens)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(tokens);
        ThrowIfDisposed();
        if (LateInteraction is null) throw new ModelFormatException($"{Folder.Path}: not a late-interaction model (no token vectors)");
        var y = TransformerForward(tape, tokens);
        foreach (var p in projections) y = p.Forward(tape, y);
        return y;
    }

    /// <summary>A late-interaction model's projections (its Dense modules, each with its residual path when it has one), as <see cref="ColbertEncoder"/> runs them.</summary>
    internal IReadOnlyList<ColbertProjection> Projections => projections;

    // The Dense modules as a ColBERT's projections: those read from densePaths with their folder's use_residual (and
    // residual.weight, a parameter trained with the rest), any added after them plain.
    private void AttachProjections(IReadOnlyList<string> densePaths, string parameterPrefix)
    {
        projections = [.. dense.Select((d, i) => i < densePaths.Count ? ColbertProjection.Wrap(d, densePaths[i], parameterPrefix) : ColbertProjection.Plain(d))];
        Parameters = [.. Parameters, .. projections.Where(p => p.ResidualWeight is not null).Select(p => p.ResidualWeight!)];
    }
}
