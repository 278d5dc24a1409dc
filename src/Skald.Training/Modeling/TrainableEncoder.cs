using Skald.Distributed;
using Skald.Models;
using Skald.Models.Adapters;
using Skald.Models.Architectures;
using Skald.Models.Modules;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tokenizers;
using Skald.Training.Config;

namespace Skald.Training.Modeling;

/// <summary>
/// A <see cref="SentenceEncoder"/> being trained: the same chain (transformer → Pooling → Dense* → Normalize?) run on a
/// recording tape with dropout, so training and inference share one model definition. Loads any folder
/// <see cref="SentenceEncoder.Load(string, IReadOnlyList{string}?, Skald.Tensors.WeightPrecision)"/> accepts, transformer or static (whose table trains through the same gather op);
/// parameters are named by checkpoint key without prefix (Dense: <c>2_Dense/linear.weight</c>). Training forwards go
/// through <see cref="BeginPass"/> (used by the losses); <see cref="Encode(IReadOnlyList{string}, int)"/> is inference with the current weights.
/// </summary>
public sealed partial class TrainableEncoder : ITrainableModel
{
    private readonly Tape tape = new();
    private float dropout;
    private bool passOpen;
    private Parameter[]? trainable; // the adapters' A and B when LoRA is on

    private TrainableEncoder(SentenceEncoder model, float dropout, ulong seed) : this(model, dropout, new SkaldRandom(seed))
    {
    }

    private TrainableEncoder(SentenceEncoder model, float dropout, SkaldRandom random)
    {
        Model = model;
        MaxSeqLength = model.MaxSeqLength;
        Dropout = dropout;
        Random = random;
    }

    /// <summary>
    /// A second, independent trainable model read again from this one's folder (ContrastiveTension's copy), with the
    /// same merged adapters (<see cref="SourceAdapters"/>), its parameters named with <paramref name="parameterPrefix"/>
    /// in front so a checkpoint holds both; it draws dropout from this encoder's generator (checkpointed with the run)
    /// and shares its length limit and data-parallel group. With LoRA the copy gets LoRA adapters of its own, equal to
    /// this model's at the start (A from the same draws, B zero), as a deep copy of a peft model has them, on a base
    /// held as this one's (16-bit bases stay 16-bit; others float32). The copy's load reports no notices
    /// (<see cref="ModelNotices"/>): this model's load made them already.
    /// </summary>
    public TrainableEncoder Copy(string parameterPrefix)
    {
        if (Model.TransformerFrozen || Source.IsStatic || Model.IsSparse)
            throw new ArgumentException($"{Source.Path}: a trainable copy is made of a dense transformer model (not frozen, static or sparse)");
        var precision = Lora is not null && Model.WeightPrecision is WeightPrecision.BFloat16 or WeightPrecision.Float16 ? Model.WeightPrecision : WeightPrecision.Float32;
        SentenceEncoder loaded;
        // The same folders this model was read from: what their load left out (untargeted adapter tensors) was said then.
        using (ModelNotices.Route(static _ => { }))
            loaded = SentenceEncoder.LoadAnyHead(Source.Path, SourceAdapters, precision, parameterPrefix);
        loaded.MaxSeqLength = Model.MaxSeqLength; // a model.max_seq_length the run gave
        var copy = new TrainableEncoder(loaded, Dropout, Random)
        {
            MaxSeqLength = MaxSeqLength,
            GradientCheckpointing = GradientCheckpointing,
            Communicator = Communicator,
            SourceAdapters = SourceAdapters,
            BaseModelName = BaseModelName,
        };
        if (Lora is { } lora) copy.EnableLora(lora, loraSeed);
        return copy;
    }

    /// <summary>The PEFT adapter folders merged into the weights when the model was read (<c>model.adapters</c>), which <see cref="Copy"/> merges too.</summary>
    public IReadOnlyList<string> SourceAdapters { get; set; } = [];

    private ulong loraSeed;

    /// <summary>
    /// What a saved adapter's adapter_config.json records as <c>base_model_name_or_path</c>, set before
    /// <see cref="EnableLora"/>: the hub id the model was given as (as peft records a model's name_or_path), so that the
    /// adapter finds its base on another machine; null for the folder (<see cref="Source"/>'s path).
    /// </summary>
    public string? BaseModelName { get; set; }

    /// <summary>
    /// The data-parallel group this encoder trains in (<see cref="SingleProcess"/> unless the trainer runs under
    /// mpirun): the embedding losses gather every rank's embeddings through it.
    /// </summary>
    public ICommunicator Communicator { get; set; } = SingleProcess.Instance;

    /// <summary>
    /// Sums a CSR autoencoder's per-latent firing counts over the ranks (null in one process), so its dead-latent
    /// statistics are those of the global batch on every rank.
    /// </summary>
    internal Action<Span<float>>? StatsAcrossRanks => Communicator.Size > 1 ? Communicator.AllReduceSum : null;

    /// <summary>The model being trained (its parameters are updated in place).</summary>
    public SentenceEncoder Model { get; }

    /// <inheritdoc />
    public ModelFolder Source => Model.Folder;

    /// <summary>The tokenizer (tokenizer.json of the Transformer module).</summary>
    public Tokenizer Tokenizer => Model.Tokenizer;

    /// <summary>The transformer's config.json.</summary>
    public TransformerConfig Config => Model.Transformer.Config;

    /// <summary>Pooling configuration.</summary>
    public PoolingConfig Pooling => Model.Pooling;

    /// <summary>
    /// What the optimiser updates: the LoRA adapters, the modules after a frozen transformer, or the model's parameters
    /// less those the architecture keeps fixed (a float32 parameter whose <see cref="Parameter.RequiresGrad"/> is false,
    /// e.g. DistilBERT's sinusoidal position table, which upstream's requires_grad=False keeps out of the optimiser).
    /// </summary>
    public IReadOnlyList<Parameter> Parameters => trainable ?? Learned(Model.Parameters);

    private (IReadOnlyList<Parameter> Of, IReadOnlyList<Parameter> Learned)? learned; // Learned(Model.Parameters), kept while they are the same list

    private IReadOnlyList<Parameter> Learned(IReadOnlyList<Parameter> all)
    {
        if (learned is { } l && ReferenceEquals(l.Of, all)) return l.Learned;
        static bool Fixed(Parameter p) => p.Precision == WeightPrecision.Float32 && !p.IsInt8Only && !p.IsPackedOnly && !p.RequiresGrad;
        IReadOnlyList<Parameter> kept = all.Any(Fixed) ? [.. all.Where(p => !Fixed(p))] : all;
        learned = (all, kept);
        return kept;
    }

    /// <inheritdoc />
    public int Dimension => Model.Dimension;

    /// <summary>Longest input in tokens (specials included); longer texts are truncated (settable, as ST's max_seq_length).</summary>
    public int MaxSeqLength { get; set; }

    /// <inheritdoc />
    public float Dropout
    {
        get => dropout;
        set => dropout = value is >= 0f and < 1f ? value : throw new ArgumentOutOfRangeException(nameof(value), "dropout must be in [0, 1)");
    }

    /// <inheritdoc />
    public SkaldRandom Random { get; }

    /// <summary>
    /// Recorded passes recompute each transformer layer during the backward pass instead of keeping its activations
    /// (<see cref="Tape.Checkpointing"/>; transformers' gradient_checkpointing_enable): same gradients, less memory.
    /// </summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>
    /// Loads a sentence-transformers, Hugging Face or static model folder for training, with the PEFT adapter folders in
    /// <paramref name="adapters"/> merged into its weights first. A cross-encoder folder loads too (its encoder, which a
    /// cross-encoder loss trains with the head it reads from the folder), where <see cref="SentenceEncoder.Load(string, IReadOnlyList{string}?, Skald.Tensors.WeightPrecision)"/> refuses one.
    /// </summary>
    public static TrainableEncoder Load(string folder, float dropout = 0.1f, ulong seed = 42, IReadOnlyList<string>? adapters = null) =>
        new(SentenceEncoder.LoadAnyHead(folder, adapters), dropout, seed);

    /// <summary>Trains <paramref name="model"/> (its parameters are updated in place).</summary>
    public static TrainableEncoder For(SentenceEncoder model, float dropout = 0.1f, ulong seed = 42) => new(model, dropout, seed);

    /// <summary>The LoRA settings when adapters are trained instead of the weights (<see cref="EnableLora"/>), else null.</summary>
    public LoraConfig? Lora { get; private set; }

    /// <summary>With LoRA: save the model with the adapters merged in instead of the adapter folder alone.</summary>
    public bool SaveMerged { get; set; }

    /// <summary>
    /// Freezes the model and attaches new LoRA adapters to the modules <paramref name="config"/> targets (A random from
    /// <paramref name="seed"/>, B zero, so the model starts unchanged); from then on <see cref="Parameters"/> are the
    /// adapters' A and B.
    /// </summary>
    /// <param name="config">The adapters' settings.</param>
    /// <param name="seed">Seed of the A matrices.</param>
    /// <param name="transformerOnly">
    /// Adapters on the transformer's layers only, the modules after it (a ColBERT's Dense) trained whole beside them:
    /// sentence-transformers' <c>add_adapter</c>, which PyLate's ColBERT inherits, puts peft on the transformer and
    /// leaves the other modules' parameters trainable.
    /// </param>
    public void EnableLora(LoraConfig config, ulong seed, bool transformerOnly = false)
    {
        if (Lora is not null) throw new InvalidOperationException("LoRA is already enabled");
        var targets = transformerOnly ? Model.Transformer.Parameters : Model.Parameters;
        config = PeftAdapters.ResolveTargets(config, targets); // all-linear spelt out, as peft saves it
        var adapters = PeftAdapters.Attach(targets, config, new SkaldRandom(seed));
        var inTransformer = targets.ToHashSet();
        trainable = [.. adapters.SelectMany(a => a.Parameters), .. transformerOnly ? Model.Parameters.Where(p => !inTransformer.Contains(p)) : []];
        Lora = config with { BaseModel = BaseModelName ?? Source.Path, BaseAdapters = SourceAdapters };
        loraSeed = seed;
    }

    /// <summary>
    /// Trains only the modules after the transformer (Dense modules, a sparse encoder's head or SparseAutoEncoder):
    /// the transformer's parameters are frozen and its forward is not recorded (<see cref="SentenceEncoder.TransformerFrozen"/>).
    /// </summary>
    /// <param name="lossHeads">Whether the loss trains heads of its own (BGE-M3's, FlagEmbedding's fix_encoder), so the model may have nothing left to train.</param>
    public void FreezeTransformer(bool lossHeads = false)
    {
        if (Lora is not null) throw new TrainingException("model.freeze_transformer: LoRA already trains adapters on a frozen base");
        var transformer = Model.Transformer.Parameters.ToHashSet();
        var rest = Model.Parameters.Where(p => !transformer.Contains(p)).ToArray();
        if (rest.Length == 0 && !lossHeads)
            throw new TrainingException($"model.freeze_transformer: {Source.Path} has nothing after its transformer to train (no Dense module or sparse head)");
        foreach (var p in transformer) p.RequiresGrad = false;
        trainable = rest;
        Model.TransformerFrozen = true;
    }

    /// <summary>
    /// Token ids as sentence-transformers' Transformer.tokenize makes them: Python strip(), lower-case when
    /// do_lower_case, special tokens, truncation to <see cref="MaxSeqLength"/>.
    /// </summary>
    public IReadOnlyList<Encoding> Tokenize(IReadOnlyList<string> texts) => Prepare(texts).Encodings;

    /// <summary>
    /// <see cref="Tokenize"/> with what pooling needs besides the ids (for an LLM2Vec model, the tokens each text
    /// pools; <paramref name="query"/> texts get <see cref="QueryInstruction"/>, or an inference-free sparse encoder's
    /// query route: its SparseStaticEmbedding, as sentence-transformers' router_mapping sends the first column), the input of
    /// <see cref="EncoderPass.Forward(ModelInputs)"/>.
    /// </summary>
    /// <param name="texts">The texts.</param>
    /// <param name="query">Whether they are the first column (queries).</param>
    /// <param name="prompt">
    /// A training prompt written before each text (null or empty: none), through the same path as an inference prompt:
    /// with Pooling's include_prompt: false its tokens are not pooled.
    /// </param>
    public ModelInputs Prepare(IReadOnlyList<string> texts, bool query = false, string? prompt = null) =>
        Model.Prepare(texts, new EncodeOptions
        {
            MaxLength = MaxSeqLength,
            Prompt = prompt ?? "", // (never the model's default prompt: training texts get only the prompts training gives)
            Instruction = query ? QueryInstruction : null,
            Route = query && Model.StaticQuery is not null ? "query" : null, // an inference-free model's queries take the static route
        });

    /// <summary>
    /// Column <paramref name="column"/> of <paramref name="batch"/> as the model takes it: with the column's training
    /// prompt (<see cref="TrainingBatch.Prompts"/>), and as queries when it is the first column.
    /// </summary>
    public ModelInputs Prepare(TrainingBatch batch, int column)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return Prepare(batch.Columns[column], column == 0, batch.Prompts?[column]);
    }

    /// <summary>
    /// LLM2Vec models: the instruction the losses give the first column (queries, <c>data.instruction</c>); null: none.
    /// </summary>
    public string? QueryInstruction { get; set; }

    /// <summary>
    /// Starts a training-mode pass (dropout as <see cref="Dropout"/> when <paramref name="dropout"/>), recorded for a
    /// backward pass when <paramref name="record"/>. One pass at a time; dispose it to end it. A model loaded with 16-bit
    /// weights records only with LoRA enabled (the base is frozen; gradients flow through it to the adapters).
    /// </summary>
    public EncoderPass BeginPass(bool record = true, bool dropout = true)
    {
        if (passOpen) throw new InvalidOperationException("another pass of this model is still open (dispose it first)");
        if (record && Lora is null && Model.WeightPrecision != WeightPrecision.Float32)
            throw new TrainingException(
                $"{Model.Folder.Path}: the model was loaded with {Model.WeightPrecision} weights, which are frozen: train LoRA " +
                "adapters on them (EnableLora), or load it with WeightPrecision.Float32 (the default) to train the weights");
        passOpen = true;
        Configure(tape, record, dropout);
        return new EncoderPass(this, tape);
    }

    /// <summary>
    /// Resets <paramref name="pass"/> for a pass of this model (the losses with their own tape use it too): recording
    /// when <paramref name="record"/>; in training mode (dropout as <see cref="Dropout"/>, adapter dropout, draws from
    /// <see cref="Random"/>) when <paramref name="dropout"/>; layers recomputed in backward when
    /// <see cref="GradientCheckpointing"/>.
    /// </summary>
    public void Configure(Tape pass, bool record, bool dropout = true)
    {
        pass.Reset();
        pass.Recording = record;
        pass.Dropout = dropout ? Dropout : 0f;
        pass.Training = dropout;
        pass.Random = Random;
        pass.Checkpointing = GradientCheckpointing;
    }

    internal void EndPass() => passOpen = false;

    /// <summary>
    /// The model's state besides its parameters, for a checkpoint: a CSR model's latent statistics
    /// (<c>{module}/stats_last_nonzero</c>, counts as float32); empty for other models.
    /// </summary>
    public IReadOnlyList<Skald.Models.Checkpoints.TensorToWrite> BufferTensors() =>
        Model.AutoEncoder is { } sae
            ? [new(StatsName(sae), [sae.Stats.Length], [.. sae.Stats.Select(s => (float)s)])]
            : [];

    /// <summary>Restores what <see cref="BufferTensors"/> saved (a checkpoint without it, written by an older version, keeps the current state).</summary>
    public void RestoreBuffers(IReadOnlyDictionary<string, float[]> saved, string source)
    {
        if (Model.AutoEncoder is not { } sae || !saved.TryGetValue(StatsName(sae), out var stats)) return;
        if (stats.Length != sae.Stats.Length)
            throw new TrainingException($"{source}: '{StatsName(sae)}' holds {stats.Length} values, the model has {sae.Stats.Length} latents");
        for (int j = 0; j < stats.Length; j++) sae.Stats[j] = (long)stats[j];
    }

    private static string StatsName(SparseAutoEncoder sae) => sae.Module + "/" + SparseAutoEncoder.StatsKey;

    /// <inheritdoc />
    public float[][] Encode(IReadOnlyList<string> texts, int batchSize = 32) => Encode(texts, batchSize, query: false);


    /// <summary>Inference embeddings, with <see cref="QueryInstruction"/> when <paramref name="query"/> (an LLM2Vec model's queries).</summary>
    public float[][] Encode(IReadOnlyList<string> texts, int batchSize, bool query)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var inputs = Prepare(texts, query);
        // Same order and batches as SentenceEncoder.Encode, so the numbers match it.
        var order = Enumerable.Range(0, texts.Count).OrderByDescending(i => inputs.Encodings[i].Ids.Length).ToArray();
        var result = new float[texts.Count][];
        using var pass = BeginPass(record: false, dropout: false);
        for (int start = 0; start < order.Length; start += batchSize)
        {
            int b = Math.Min(batchSize, order.Length - start);
            var e = pass.Forward(inputs.Select(order.AsSpan(start, b).ToArray()));
            for (int i = 0; i < b; i++) result[order[start + i]] = e.Row(i).ToArray();
        }
        return result;
    }

    /// <inheritdoc />
    public void ZeroGradients()
    {
        foreach (var q in Parameters) q.Grad.Span.Clear();
    }

    /// <summary>
    /// The cross-encoder loss whose classification head this model trains with, if any (set by the loss): then
    /// <see cref="Save"/> writes a cross-encoder folder (<c>*ForSequenceClassification</c>) instead of an embedding model.
    /// </summary>
    public CrossEncoders.CrossEncoderLoss? Classifier { get; set; }

    /// <summary>Pad token id of the tokenizer (or config).</summary>
    internal int PadId => Model.PadId;
}
