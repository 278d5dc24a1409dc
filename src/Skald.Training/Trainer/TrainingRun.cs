using Skald.Distributed;
using Skald.Models;
using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Static;

namespace Skald.Training.Trainer;

/// <summary>
/// Builds a run from a <see cref="TrainingConfig"/>: loads the model (<see cref="TrainableEncoder"/>), reads and
/// splits the data, picks the loss, AdamW and clipping, and the evaluators. <c>skald train</c> is a thin shell over it.
/// </summary>
public static partial class TrainingRun
{
    /// <summary>
    /// output.dir must take files before any work starts (not hours later at the first checkpoint); the message names
    /// the folder the user gave. Nothing is created: a missing output.dir is probed in the nearest folder that exists
    /// (the trainer creates it when training starts), so a run that fails before then leaves no empty folders behind.
    /// </summary>
    public static void CheckWritable(string dir)
    {
        string full = Path.GetFullPath(dir), existing = full;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing))
                throw new TrainingException(existing == full ? $"output.dir {dir}: is a file; the run writes a folder there"
                    : $"output.dir {dir}: {existing} is a file, not a folder");
            existing = Path.GetDirectoryName(existing) ?? throw new TrainingException($"output.dir {dir}: cannot write there (no such folder)");
        }
        try
        {
            string probe = Path.Combine(existing, $".write-test-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TrainingException($"output.dir {dir}: cannot write there ({e.Message})");
        }
        // What the run writes there, checked now rather than after hours of training (the final model would be lost).
        foreach (string folder in new[] { "final", "checkpoints", "tensorboard", "initial-model" })
        {
            if (File.Exists(Path.Combine(dir, folder)))
                throw new TrainingException($"output.dir {dir}: '{folder}' is a file; the run writes a folder there (move the file away)");
        }
        if (Directory.Exists(Path.Combine(dir, "metrics.jsonl")))
            throw new TrainingException($"output.dir {dir}: 'metrics.jsonl' is a folder; the run writes its metrics log there (move the folder away)");
    }

    /// <summary>Reads everything the config names and returns a ready trainer setup.</summary>
    public static TrainerSetup Build(TrainingConfig config, Action<TrainingProgress>? progress = null, Action<string>? log = null,
        ICommunicator? communicator = null)
    {
        var notes = new List<string>();
        var (train, eval) = ReadData(config, notes.Add);
        return Build(config, train, eval, progress, log, communicator, notes);
    }

    /// <summary>
    /// A ready trainer setup over datasets already read (<paramref name="train"/>, <paramref name="eval"/>), for the
    /// data-parallel group <paramref name="communicator"/> (default: this process alone); <paramref name="readNotes"/>
    /// are the notes of reading them (<see cref="ReadData"/>), logged with the run's other notes once the model loads.
    /// </summary>
    public static TrainerSetup Build(TrainingConfig config, IReadOnlyList<TextDataset> train, TextDataset? eval,
        Action<TrainingProgress>? progress = null, Action<string>? log = null, ICommunicator? communicator = null,
        IEnumerable<string>? readNotes = null)
    {
        var comm = communicator ?? SingleProcess.Instance;
        foreach (var d in train)
        {
            LossColumns.Check(config.Loss, d);
            SameDatasetBatches.Check(config, d, ReadsNoInBatchNegatives(config.Loss), comm.Size);
            if (d.NoInBatchNegatives && !ReadsNoInBatchNegatives(config.Loss))
                throw new TrainingException($"{d.Name}: no in-batch negatives ({(config.Data.NoInBatchNeg ? "data.no_in_batch_neg" : "its name ends with no_in_batch_neg, FlagEmbedding's mark")}) is read by loss.type bge_m3, mnrl and cached_mnrl only (not symmetric, not under loss.adaptive_layer), not {config.Loss.Type}{(config.Loss.Symmetric ? " symmetric" : config.Loss.AdaptiveLayer ? " under loss.adaptive_layer" : "")}");
        }
        if (eval?.ListColumn is { } list && !LossSection.ListwiseTypes.Contains(config.Loss.Type) && !config.Loss.CrossEncoder)
            throw new TrainingException($"{eval.Name}: '{list}' holds lists of documents, which a cross-encoder's evaluation reads; loss.type {config.Loss.Type} evaluates one text per column");
        // The batch notes wait for the model: a model.path that is no model is then the one line of a run that fails.
        var notes = new List<string>(readNotes ?? []);
        if (config.Loss.Type is "mlm" or "mntp")
        {
            notes.AddRange(train.Select(d => MaskedTextColumnNote(config.Loss.Type, d)).OfType<string>());
            train = [.. train.Select(MaskedTextColumn)]; // the loss masks the first column: make it the one read
        }
        if (ColbertLoss.IsColbert(config.Loss.Type))
            notes.AddRange(train.SelectMany(d => new[] { ColumnOrderNote.For(d), ColbertAnchorNote(d) }).OfType<string>());
        BatchPlanner.Validate(train, config.Training.BatchSize, config.Training.NoDuplicates, notes.Add);
        if (!config.Data.SameDatasetWithinBatch && !config.Training.GroupByLabel
            && BatchPlanner.RoundRobinNote(train, config.Training.BatchSize, config.Data.Sampling) is { } roundRobin) notes.Add(roundRobin);
        CheckWritable(config.Output.Dir);
        CheckModelFolders(config);
        string modelPath = ColbertSetup.WithPrefixTokens(config, ModelPath(config, comm), comm, log);
        var precision = BaseWeights.Resolve(config, modelPath);
        var student = ColbertSetup.Load(config, modelPath, precision) // a PyLate folder
            ?? SentenceEncoder.LoadAnyHead(modelPath, config.Model.Adapters, precision); // a cross-encoder too: it trains on
        TrainerSetup setup;
        try
        {
            setup = Assemble(config, train, eval, progress, log, comm, student);
        }
        catch
        {
            student.Dispose(); // and the models made of it (attention switched, sparse, CSR), which share its files
            throw;
        }
        // the notes once the model is set up: a run refused by the model's checks prints that one line alone
        foreach (string note in notes) log?.Invoke(note);
        foreach (var d in train)
            if (d.Groups is { Instructions.Query: null } g && !config.Data.SameDatasetWithinBatch && g.Prompts.Count(p => p is not null) is > 0 and int prompted)
                log?.Invoke($"{d.Name}: {prompted} of {g.Count} rows carry a 'prompt', which FlagEmbedding reads only with data.query_instruction_for_retrieval; " +
                    "they train without it, as upstream (set query_instruction_for_retrieval: \"\" to write each row's prompt before its query)");
        return setup;
    }

    /// <summary>
    /// The folder to load: <c>model.path</c>, or for a new static model (<c>model.tokenizer</c>) one written with a
    /// seeded random table to <c>output.dir/initial-model</c> (the same table on every resume; under mpirun rank 0
    /// writes it while the others wait).
    /// </summary>
    public static string ModelPath(TrainingConfig config, ICommunicator? communicator = null)
    {
        var comm = communicator ?? SingleProcess.Instance;
        var m = config.Model;
        if (m.Path.Length > 0) return m.Path;
        string tokenizer = Directory.Exists(m.Tokenizer) ? Path.Combine(m.Tokenizer, "tokenizer.json") : m.Tokenizer!;
        if (!File.Exists(tokenizer)) throw new TrainingException($"model.tokenizer: {tokenizer} not found");
        string dir = Path.Combine(config.Output.Dir, "initial-model");
        if (comm.Rank == 0) StaticModelWriter.CreateRandom(dir, tokenizer, m.Dimension, m.Normalize, config.Training.Seed);
        comm.Barrier();
        return dir;
    }

    /// <summary>Whether the loss of <paramref name="loss"/> scores a batch's rows against their own documents when told (TrainingBatch.NoInBatchNegatives).</summary>
    private static bool ReadsNoInBatchNegatives(LossSection loss) =>
        loss.Type == "bge_m3" || (loss.Type is "mnrl" or "cached_mnrl" && !loss.Symmetric && !loss.AdaptiveLayer);

    /// <summary>
    /// The column a masked-LM loss reads: <c>text</c> when the file has a column so named, else the first, as LLM2Vec's
    /// run_mntp.py picks it (and transformers' run_mlm.py): <c>text_column_name</c>, experiments/run_mntp.py line 721 in
    /// McGill-NLP/llm2vec at 267299dea1cac98af47d8718d0505af224b79aa1.
    /// </summary>
    private static int MaskedTextColumnIndex(TextDataset d) => d.Columns.ToList().IndexOf("text") is var i and >= 0 ? i : 0;

    /// <summary>
    /// <paramref name="d"/> as a masked-LM loss reads it: its <c>text</c> column alone when that is not the first (the
    /// loss masks column 0; <see cref="MaskedTextColumnIndex"/>), else as it is.
    /// </summary>
    private static TextDataset MaskedTextColumn(TextDataset d) =>
        MaskedTextColumnIndex(d) == 0 || d.Groups is not null || d.ListColumn is not null ? d : d.SelectColumns(["text"]);

    /// <summary>
    /// A note when a masked-LM file has more than one text column: the loss masks one alone (<see cref="MaskedTextColumnIndex"/>:
    /// <c>text</c>, else the first) and reads no other; a pairs file's positives are not trained on.
    /// </summary>
    private static string? MaskedTextColumnNote(string loss, TextDataset d)
    {
        if (d.Columns.Count < 2) return null;
        int read = MaskedTextColumnIndex(d);
        string others = string.Join(", ", d.Columns.Where((_, i) => i != read).Select(c => $"'{c}'"));
        return read == 0 && d.Columns[0] != "text"
            ? $"note: {d.Name}: loss.type {loss} masks one text column, the first ('{d.Columns[0]}'), and reads no other " +
              $"({others}), as LLM2Vec's run_mntp.py reads one (set data.columns to pick it)"
            : $"note: {d.Name}: loss.type {loss} masks one text column, 'text', and reads no other ({others}), as LLM2Vec's " +
              "run_mntp.py reads the column so named (set data.columns to pick another)";
    }

    /// <summary>
    /// A note when a ColBERT file's anchor (its first column that is no id column) is not named as a query: PyLate's
    /// collator then tokenizes it as a document (no query prefix or expansion; <see cref="ColbertColumns"/>), which a
    /// file of (question, answer) rows would not expect.
    /// </summary>
    private static string? ColbertAnchorNote(TextDataset d)
    {
        string? anchor = d.Columns.FirstOrDefault(c => !ColbertColumns.IsId(c));
        return anchor is null || ColbertColumns.IsQuery(anchor) ? null :
            $"note: {d.Name}: the anchor column '{anchor}' is tokenized as a document, as PyLate's collator does with a column whose name contains neither 'query' nor 'anchor' (rename it, e.g. to 'query', for query tokens)";
    }
}
