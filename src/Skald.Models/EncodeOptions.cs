namespace Skald.Models;

/// <summary>Options of <see cref="SentenceEncoder.Encode(IReadOnlyList{string}, EncodeOptions?)"/>.</summary>
public sealed record EncodeOptions
{
    /// <summary>Texts per forward pass (texts are sorted by token count first, so batches pad little).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Name of a prompt in config_sentence_transformers.json (e.g. "query").</summary>
    public string? PromptName { get; init; }

    /// <summary>A literal prompt prepended to every text (overrides <see cref="PromptName"/>).</summary>
    public string? Prompt { get; init; }

    /// <summary>
    /// For LLM2Vec models (a folder with llm2vec_config.json): the instruction every text is paired with, as LLM2Vec's
    /// <c>encode([[instruction, text], ...])</c>. The model attends to it, but when skip_instruction is true (the
    /// default) its tokens are left out of pooling. Give it to queries (e.g. "Given a web search query, retrieve
    /// relevant passages that answer the query"), not to documents. Other models refuse it: use <see cref="Prompt"/>.
    /// </summary>
    public string? Instruction { get; init; }

    /// <summary>
    /// The route of a sentence-transformers Router folder, as sentence-transformers' <c>task</c> (<c>encode_query</c>:
    /// "query", <c>encode_document</c>: "document"); null: the folder's default_route. Models without a Router ignore it.
    /// </summary>
    public string? Route { get; init; }

    /// <summary>L2-normalise the outputs (in addition to any Normalize module of the model).</summary>
    public bool Normalize { get; init; }

    /// <summary>
    /// A CSR sparse encoder's latents kept per text (sentence-transformers' <c>max_active_dims</c>, which replaces the
    /// SparseAutoEncoder's k); null: k. Other models ignore it (<see cref="SentenceEncoder.EncodeSparse"/> prunes theirs).
    /// </summary>
    public int? MaxActiveDims { get; init; }

    /// <summary>
    /// Keep the first N values of each embedding (sentence-transformers' <c>truncate_dim</c>, for Matryoshka-trained
    /// models): cut after the model's own modules (a Normalize module's unit length is not restored), then normalised
    /// when <see cref="Normalize"/> is set; null: the full width.
    /// </summary>
    public int? TruncateDim { get; init; }

    /// <summary>Maximum tokens per text including special tokens (default: the model's max_seq_length).</summary>
    public int? MaxLength { get; init; }

    /// <summary>
    /// With more texts than <see cref="BatchSize"/>: after the first batch, whole batches run at once, one on each of
    /// <see cref="Skald.Tensors.Parallelism.MaxThreads"/> threads, each op of a batch on its thread alone
    /// (<see cref="Skald.Tensors.InFlightBatches"/>: no joins between ops; one batch's activation memory more per
    /// extra thread). The same embeddings bit for bit; true by default. False: every batch's ops split over the threads,
    /// one batch after another (what a single batch always does).
    /// </summary>
    public bool BatchesInFlight { get; init; } = true;

    /// <summary>Called after each batch with (texts done, total texts); with <see cref="BatchesInFlight"/>, one call
    /// at a time from the thread that ran the batch, in the order batches end (the count grows at every call), while the
    /// model's passes hold its lock: a callback that encodes with the same model would wait for itself.</summary>
    public Action<int, int>? Progress { get; init; }

    /// <summary>
    /// Called once, before the first batch, with how many texts are longer than the max length and are embedded from
    /// their first tokens (<see cref="Skald.Tokenizers.Encoding.Truncated"/>); <c>skald encode</c> prints it as a note.
    /// </summary>
    public Action<int>? TruncatedTexts { get; init; }
}
