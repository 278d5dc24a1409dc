using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Tokenizers.Training;
using Skald.Training.Data;
using Skald.Cli.Pipeline;
using Skald.Training.Config;
using Skald.Training.Trainer;

namespace Skald.Cli.Commands;

/// <summary><c>skald static train</c>: a static embedding model (sentence-transformers StaticEmbedding) trained from scratch with MNRL + Matryoshka.</summary>
internal sealed class StaticTrainCommand : Command
{
    private readonly Option<string> data = CliOptions.Text("--data", "Training pairs (JSONL/CSV/TSV; the first two text columns are anchor and positive), comma-separated", "FILE[,FILE...]", required: true);
    private readonly Option<string> output = CliOptions.Text("--output", "Folder to save the model in", "DIR", required: true);
    private readonly Option<string> tokenizer = CliOptions.Text("--tokenizer", "Use this tokenizer.json (or folder, model folder or hub id) instead of training a WordPiece one", "FILE");
    private readonly Option<string> corpus = CliOptions.Text("--corpus", "Extra text for the trained tokenizer, comma-separated", "FILE[,FILE...]");
    private readonly Option<int?> vocabSize = CliOptions.Int("--vocab-size", "Vocabulary of the trained tokenizer", defaultValue: 16000);
    private readonly Option<int?> dim = CliOptions.Int("--dim", "Embedding dimension", defaultValue: 256);
    private readonly Option<int?> steps = CliOptions.Int("--steps", "Stop after N optimizer steps (0: run every epoch)", min: 0, defaultValue: 0);
    private readonly Option<int?> epochs = CliOptions.Int("--epochs", "Passes over the data", defaultValue: 5);
    private readonly Option<int?> batchSize = CliOptions.Int("--batch-size", "Pairs per batch (in-batch negatives)", defaultValue: 256);
    private readonly Option<double?> lr = CliOptions.Number("--lr", "Learning rate", v => v > 0, "a positive number", defaultValue: 0.2);
    private readonly Option<string> matryoshka = CliOptions.Text("--matryoshka", "Matryoshka widths, comma-separated (default: D, D/2, D/4, D/8)", "D,D,...");
    private readonly Option<bool> noNormalize = CliOptions.Flag("--no-normalize", "Save without a Normalize module (embeddings not unit length)");

    public StaticTrainCommand() : base("train", "Train a static embedding model from scratch on pairs (MNRL + Matryoshka)")
    {
        foreach (var o in new Option[] { data, output, tokenizer, corpus, vocabSize, dim, steps, epochs, batchSize, lr, matryoshka, noNormalize })
            Options.Add(o);
        CliOptions.AtMostOne(this, tokenizer, corpus);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        string outputPath = p.GetValue(output)!;
        CliOptions.RequireNewFolder(outputPath); // the model replaces the folder: never one that holds something
        bool quiet = p.GetValue(CliOptions.Quiet);
        int width = p.GetValue(dim) ?? 256;
        int[] dims = p.GetValue(matryoshka) is { } m
            ? m.Split(',').Select(x => int.TryParse(x, System.Globalization.CultureInfo.InvariantCulture, out int v) && v > 0 && v <= width ? v
                : throw new UsageException($"option --matryoshka: '{x}' is not a width between 1 and {width}")).ToArray()
            : [width, width / 2, width / 4, width / 8];
        // Every file gives (anchor, positive) pairs: its first two text columns (a "lang" column is not text to embed).
        var anchors = new List<string>();
        var positives = new List<string>();
        foreach (var f in CliOptions.Items(p.GetValue(data)))
        {
            var d = DatasetReader.Read(f).WithoutLists("static train");
            var textColumns = d.Columns.Where(c => c != "lang").ToList();
            if (textColumns.Count < 2) throw new InputException($"{f}: needs at least two text columns (anchor, positive), found {string.Join(", ", d.Columns)}");
            d = d.SelectColumns(textColumns.Take(2).ToList());
            anchors.AddRange(d.Rows.Select(r => r[0]));
            positives.AddRange(d.Rows.Select(r => r[1]));
        }

        int batch = p.GetValue(batchSize) ?? 256;
        if (batch > anchors.Count)
            throw new UsageException($"option --batch-size {batch} is larger than the data: {string.Join(", ", CliOptions.Items(p.GetValue(data)))} "
                + $"hold {anchors.Count} pairs (give a smaller --batch-size)");
        string? trained = null; // a tokenizer trained here: a temporary file (the model folder gets its own copy)
        try
        {
            string tokenizerPath;
            if (p.GetValue(tokenizer) is { } tok)
            {
                tokenizerPath = TokenizerFile.Resolve(tok);
            }
            else
            {
                // No tokenizer given: train a lower-cased WordPiece on the corpus files plus the training texts.
                var text = CliOptions.Items(p.GetValue(corpus)).SelectMany(TextInput.ReadLinesOf).Concat(anchors).Concat(positives).ToList();
                trained = tokenizerPath = Path.Combine(Path.GetTempPath(), $"skald-static-{Guid.NewGuid():N}.tokenizer.json");
                File.WriteAllText(tokenizerPath, TokenizerTrainer.TrainJson(text, new TokenizerTrainingOptions
                {
                    Kind = TokenizerKind.WordPiece, VocabSize = p.GetValue(vocabSize) ?? 16000, Lowercase = true,
                }));
            }
            return Train(p, outputPath, quiet, anchors, positives, tokenizerPath, width, dims);
        }
        finally
        {
            if (trained is not null) File.Delete(trained);
        }
    }

    private int Train(ParseResult p, string outputPath, bool quiet, List<string> anchors, List<string> positives,
        string tokenizerPath, int width, int[] dims)
    {
        int maxSteps = p.GetValue(steps) ?? 0;
        // The one trainer, as `skald train` runs it with model.type static (MNRL inside Matryoshka, AdamW, warm-up).
        var config = Stages.Config(
            new ModelSection("", Dropout: 0) { Type = "static", Tokenizer = tokenizerPath, Dimension = width, Normalize = !p.GetValue(noNormalize) },
            new LossSection { Type = "matryoshka", MatryoshkaDims = dims },
            new TrainingSection
            {
                BatchSize = p.GetValue(batchSize) ?? 256, Epochs = p.GetValue(epochs) ?? 5, MaxSteps = maxSteps > 0 ? maxSteps : -1,
                LearningRate = (float)(p.GetValue(lr) ?? 0.2), WarmupRatio = 0.1f, WeightDecay = 0, Seed = 42, LoggingSteps = 50,
            },
            outputPath);
        var pairs = new TextDataset("pairs", ["anchor", "positive"], [.. anchors.Zip(positives, (a, b) => new[] { a, b })]);
        var setup = TrainingRun.Build(config, [pairs], null, progress => {
            if (progress.Step % 50 == 0) Terminal.Log($"step {progress.Step}/{progress.TotalSteps}: loss {progress.Loss:F4}", quiet);
        });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Stages.Run(setup, outputPath);
        Directory.Delete(config.Output.Dir, recursive: true); // the run folder (metrics, checkpoints): the model is saved
        string runs = Path.GetDirectoryName(config.Output.Dir)!;
        if (!Directory.EnumerateFileSystemEntries(runs).Any()) Directory.Delete(runs);
        Terminal.Log($"trained on {anchors.Count:N0} pairs ({clock.Elapsed.TotalSeconds:F0} s); saved to {outputPath}", quiet);
        return 0;
    }
}
