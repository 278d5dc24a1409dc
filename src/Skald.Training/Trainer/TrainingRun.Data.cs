using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Data.Instructions;
using Skald.Training.Losses;

namespace Skald.Training.Trainer;

// TrainingRun, continued: the data a run reads (train and eval files or hub datasets, FlagEmbedding groups, causal_lm
// instruction files and their chat format).
public static partial class TrainingRun
{
    /// <summary>
    /// Training datasets (capped) and the evaluation rows (a file or a seeded split of the first file), if any. A data path
    /// that is no file but a hub dataset id (<c>org/name[@revision][:[subset/]split]</c>) reads that dataset's Parquet
    /// files from the shared cache (train split for <c>data.train</c>, validation for <c>data.eval</c> unless named).
    /// <paramref name="note"/> hears the readers' <c>note:</c> lines (PyLate's KDProcessing: missing documents).
    /// </summary>
    public static (IReadOnlyList<TextDataset> Train, TextDataset? Eval) ReadData(TrainingConfig config, Action<string>? note = null)
    {
        var chat = config.Loss.Type == "causal_lm" ? ChatFormat(config) : null;
        TextDataset Read(string path, string split)
        {
            // (data.eval may have columns of its own: data.eval_columns, else data.columns picks them too)
            var (columns, key) = split == "validation" && config.Data.EvalColumns is { } own ? (own, "data.eval_columns") : (config.Data.Columns, "data.columns");
            var files = Skald.Hub.HubResolver.LocateDataset(path, split);
            if (chat is not null || config.Loss.Type == "causal_lm")
            {
                if (files.Count != 1)
                    throw new TrainingException($"{path}: causal_lm reads one instruction file; this dataset has {files.Count} shards");
                return InstructionDatasetReader.Read(files[0], chat);
            }
            if (config.Data.Queries is { } queries && config.Data.Documents is { } documents) // PyLate's KDProcessing rows (its queries and documents: a DatasetDict's train split)
                return KdProcessing.Read(path, files, queries, documents, config.Data.NWays, p => Skald.Hub.HubResolver.LocateDataset(p, "train"), note);
            int group = config.Data.TrainGroupSize ?? FlagEmbeddingReader.DefaultGroupSize;
            bool ids = ColbertLoss.IsColbert(config.Loss.Type); // its collator leaves '_id' columns out, so they may hold numbers
            return files.Count == 1 && files[0] == path ? DatasetReader.Read(path, columns, group, ids, key)
                : DatasetReader.ReadAll(files, path, columns, group, ids, key);
        }
        var train = !config.Data.SameDatasetWithinBatch // a folder: FlagEmbedding's plain loader reads its files as one data set
            ? config.Data.Train.Select(p => FlagEmbeddingData(config, Directory.Exists(p) ? FlagEmbeddingFolder.ReadAll(p, f => Read(f, "train")) : Read(p, "train"))).ToList()
            : config.Data.Train.SelectMany(p => FlagEmbeddingFolder.Expand(p, f => Read(f, "train"), config.Data.SmallThreshold, config.Data.DropThreshold,
                config.Training.BatchSize)).Select(e => FlagEmbeddingData(config, e.Data, e.NoInBatchNegatives)).ToList();
        if (train.Count == 0) // every file left out
            throw new TrainingException($"data.train: no data set has data.small_threshold {config.Data.SmallThreshold} rows (a folder's merged small files " +
                $"not data.drop_threshold {config.Data.DropThreshold}); lower them, or add data");
        if (config.Data.TrainGroupSize is { } size && train.All(d => d.Groups is null))
            throw new TrainingException($"data.train_group_size {size} sets the documents drawn per query from FlagEmbedding files ({{\"query\", \"pos\": [...], \"neg\": [...]}} rows); none of data.train is one");
        if (config.Data.FlagEmbedding.Any && train.All(d => d.Groups is null))
            throw new TrainingException($"data.{FlagEmbeddingKeys.FirstSet(config.Data.FlagEmbedding)} " +
                "is FlagEmbedding's option for its files ({\"query\", \"pos\": [...], \"neg\": [...]} rows); none of data.train is one");
        TextDataset? eval = config.Data.Eval is { } e ? Read(e, "validation") : null;
        if (eval is null && config.Data.EvalSplit > 0)
        {
            if (train[0].Count < 2) throw new TrainingException($"{train[0].Name}: too few rows for data.eval_split");
            if (config.Data.EvalSplit >= train[0].Count) // (it was cut to all rows but one, and training ran on that one)
                throw new TrainingException($"data.eval_split {config.Data.EvalSplit.ToString(System.Globalization.CultureInfo.InvariantCulture)} holds out every row of {train[0].Name} ({train[0].Count} rows); " +
                    "hold out fewer, or give a fraction such as 0.1");
            (train[0], eval) = train[0].Split(config.Data.EvalSplit, config.Training.Seed);
        }
        if (config.Data.MaxTrainSamples is { } max) train = train.Select(d => d.Take(max)).ToList();
        if (eval is not null && config.Data.MaxEvalSamples is { } maxEval) eval = eval.Take(maxEval);
        return (train, eval);
    }

    /// <summary>The losses that read a FlagEmbedding file's teacher scores (pos_scores, neg_scores) as the labels of the drawn documents.</summary>
    private static readonly string[] TeacherScoreLosses = ["bge_m3", "distill_kl", "colbert_distillation", "margin_mse"];

    /// <summary>
    /// A training data set as the run reads it: without in-batch negatives when <c>data.no_in_batch_neg</c> says so, or
    /// (FlagEmbedding's rule) a FlagEmbedding file's name ends with <c>no_in_batch_neg</c>; a FlagEmbedding file's
    /// teacher scores dropped for a loss that reads none (as FlagEmbedding drops them without knowledge_distillation).
    /// </summary>
    /// <paramref name="folderMark"/>: a folder's file (<see cref="FlagEmbeddingFolder"/>): whether the folder's name carries the
    /// mark, which then decides instead of the file's name.
    private static TextDataset FlagEmbeddingData(TrainingConfig config, TextDataset d, bool? folderMark = null)
    {
        if (d.Groups is { } groups && config.Data.FlagEmbedding.Any) // the run-wide instructions and shuffling, on every draw
            d = groups.With(config.Data.FlagEmbedding).Sample(0, 0, d.Name, d.NoInBatchNegatives);
        if (config.Data.NoInBatchNeg || (d.Groups is not null && (folderMark ?? Path.GetFileNameWithoutExtension(d.Name).EndsWith("no_in_batch_neg", StringComparison.Ordinal))))
            d = d.WithoutInBatchNegatives();
        string type = config.Loss.Type switch { "matryoshka" => config.Loss.MatryoshkaInner, "splade" => config.Loss.SpladeInner, "csr" => config.Loss.CsrInner, _ => config.Loss.Type };
        return TeacherScoreLosses.Contains(type) ? d : d.WithoutTeacherScores();
    }

    /// <summary>
    /// causal_lm: the chat template prompts are written with (<c>data.prompt_format</c>; <c>auto</c> takes the model's
    /// when <see cref="ChatPromptFormats"/> finds one), or null for the built-in Alpaca format.
    /// </summary>
    public static IChatPromptFormat? ChatFormat(TrainingConfig config)
    {
        if (config.Data.PromptFormat == "alpaca") return null;
        var chat = ChatPromptFormats.For(config.Model.Path);
        if (chat is null && config.Data.PromptFormat == "chat_template")
            throw new TrainingException($"data.prompt_format is chat_template but {config.Model.Path} has no chat template " +
                "(tokenizer_config.json chat_template or chat_template.jinja); use prompt_format: alpaca");
        return chat;
    }

    /// <summary>
    /// causal_lm: tokenizes every row once to count (and log) the rows longer than the loss's maximum length, which are
    /// cut at the end, and, with <paramref name="groupByLength"/>, to give the planner their lengths.
    /// </summary>
    public static TextDataset MeasureInstructions(CausalLmLoss loss, TextDataset d, bool groupByLength, Action<string>? log)
    {
        var lengths = new int[d.Count];
        int truncated = 0, empty = 0;
        for (int i = 0; i < d.Count; i++)
        {
            var (ids, labels) = loss.Sequence(d.Rows[i][0], d.Rows[i][1], out bool cut);
            lengths[i] = ids.Length;
            if (!cut) continue;
            truncated++;
            if (labels.All(l => l < 0)) empty++;
        }
        if (truncated > 0)
            log?.Invoke($"note: {d.Name}: {truncated} of {d.Count} rows are longer than {loss.MaxLength} tokens (loss.max_seq_length) and " +
                $"were cut at the end, keeping their first {loss.MaxLength} tokens" +
                (empty > 0 ? $"; {empty} of them lost their whole response and train nothing" : ""));
        return groupByLength ? new TextDataset(d.Name, d.Columns, d.Rows, d.Labels, d.LabelColumn) { Lengths = lengths, ListColumn = d.ListColumn } : d;
    }
}
