namespace Skald.Training.Config;

/// <summary><c>data</c>: training (and optional evaluation) datasets.</summary>
/// <param name="Train">One or more JSONL/CSV/TSV/Parquet files or hub dataset ids (<c>org/name[@revision][:[subset/]split]</c>).</param>
/// <param name="Sampling"><c>round_robin</c> or <c>proportional</c> when there are several training files.</param>
/// <param name="MaxTrainSamples">Keep only the first N rows of each training file (null: all).</param>
/// <param name="Eval">An evaluation file (same formats), or null.</param>
/// <param name="EvalSplit">Rows held out from the first training file for evaluation: a fraction in (0, 1) or a count ≥ 1; 0 = none.</param>
/// <param name="MaxEvalSamples">Cap on evaluation rows (null: all).</param>
/// <param name="Columns">Input columns to use, in order (null: every non-label column of the file).</param>
public sealed record DataSection(
    IReadOnlyList<string> Train,
    string Sampling = "round_robin",
    int? MaxTrainSamples = null,
    string? Eval = null,
    double EvalSplit = 0,
    int? MaxEvalSamples = null,
    IReadOnlyList<string>? Columns = null)
{
    /// <summary>
    /// LLM2Vec models: the instruction of the first column's texts (queries), joined as LLM2Vec's (instruction, text)
    /// pairs and attended to but not pooled; the other columns (documents) get none, as in LLM2Vec's supervised step.
    /// </summary>
    public string? Instruction { get; init; }

    /// <summary>
    /// causal_lm: how prompts are written: <c>auto</c> (the model's chat template when one is available through
    /// <see cref="Data.Instructions.ChatPromptFormats"/>, else Alpaca's), <c>alpaca</c> or <c>chat_template</c>.
    /// </summary>
    public string PromptFormat { get; init; } = "auto";

    /// <summary>
    /// FlagEmbedding files: documents drawn per query and epoch, one positive and the rest negatives
    /// (FlagEmbedding's <c>train_group_size</c>); null: its default, 8.
    /// </summary>
    public int? TrainGroupSize { get; init; }

    /// <summary>
    /// Every training file's batches score each query against its own documents only (FlagEmbedding's
    /// <c>no_in_batch_neg</c>, which marks a FlagEmbedding file by a name ending in <c>no_in_batch_neg</c>; that is honoured too).
    /// </summary>
    public bool NoInBatchNeg { get; init; }

    /// <summary>
    /// FlagEmbedding's <c>same_dataset_within_batch</c>: each batch of one FlagEmbedding file, its batch size and group
    /// size read from the rows' <c>batch_size</c>, <c>type</c> and <c>train_group_size</c> (<see cref="Data.SameDatasetBatches"/>).
    /// </summary>
    public bool SameDatasetWithinBatch { get; init; }

    /// <summary>
    /// FlagEmbedding's <c>small_threshold</c> (with <see cref="SameDatasetWithinBatch"/>): a <c>data.train</c> file of
    /// fewer rows is left out, and the files of fewer rows in a <c>data.train</c> folder are merged into one data set
    /// (<see cref="Data.FlagEmbeddingFolder"/>). 0: none is small.
    /// </summary>
    public int SmallThreshold { get; init; }

    /// <summary>
    /// PyLate's <c>KDProcessing</c> queries: a file of <c>query_id</c> and <c>text</c> whose texts the rows'
    /// <c>query_id</c>s name (with <see cref="Documents"/>; <see cref="Data.KdProcessing"/>), or null.
    /// </summary>
    public string? Queries { get; init; }

    /// <summary>PyLate's <c>KDProcessing</c> documents: a file of <c>document_id</c> and <c>text</c> for the rows' <c>document_ids</c>, or null.</summary>
    public string? Documents { get; init; }

    /// <summary>PyLate's <c>KDProcessing</c> <c>n_ways</c>: the documents (and scores) kept of each row, the first ones (default 32).</summary>
    public int NWays { get; init; } = 32;

    /// <summary>FlagEmbedding's <c>drop_threshold</c>: a folder's merged small files of fewer rows in all are left out. 0: never.</summary>
    public int DropThreshold { get; init; }

    /// <summary>
    /// FlagEmbedding files: the run-wide query and passage instructions with their formats, and <c>shuffle_ratio</c>
    /// (<c>data.query_instruction_for_retrieval</c>, ...), applied to every draw of their groups.
    /// </summary>
    public Data.FlagEmbeddingInstructions FlagEmbedding { get; init; } = Data.FlagEmbeddingInstructions.None;

    /// <summary>
    /// <c>data.eval</c>'s own input columns, in order (null: <see cref="Columns"/>, which then picks the evaluation file's
    /// columns as well): an evaluation file named otherwise than the training files, as sentence-transformers takes an
    /// eval_dataset whose columns are matched by position, not name.
    /// </summary>
    public IReadOnlyList<string>? EvalColumns { get; init; }
}
