using System.Diagnostics;
using System.Globalization;
using Skald.Cli.IO;
using Skald.Cli.Pipeline;
using Skald.Evaluation.Benchmark;
using Skald.Tokenizers.Training;
using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Modeling;
using Skald.Training.Static;
using Skald.Training.Trainer;

namespace Skald.Cli.Quickstart;

/// <summary>Settings of a quickstart run (the defaults finish in a few minutes on two cores).</summary>
internal sealed record QuickstartOptions
{
    public string Output { get; init; } = "out/quickstart";
    public string Samples { get; init; } = "samples";
    public string Configs { get; init; } = "configs/quickstart";
    public int VocabSize { get; init; } = 4000;
    public int StaticDimension { get; init; } = 256;
    public int StaticSteps { get; init; } = 300;
    /// <summary>Masked-LM pretraining steps before SimCSE; 0 skips the stage (the default: at this budget it hurts, see README).</summary>
    public int MlmSteps { get; init; }
    /// <summary>Multiplies the steps of every training stage (the test runs a smaller budget).</summary>
    public double Budget { get; init; } = 1.0;
    public BertShape Bert { get; init; } = new(Hidden: 128, Layers: 2, Heads: 4, Intermediate: 512, MaxPositions: 128);
}

/// <summary>
/// Trains Scandinavian embedding models from nothing on the bundled sample data and shows they got better:
/// tokenizer → static model (MNRL + Matryoshka) and small BERT from random init → masked-LM → SimCSE → MNRL, then a before/after
/// benchmark (BM25, untrained, trained) on the held-out set with a Markdown/JSON/HTML report.
/// </summary>
internal sealed class QuickstartRunner(QuickstartOptions options, Action<string> log)
{
    private readonly Stopwatch clock = Stopwatch.StartNew();

    /// <summary>Runs every stage; returns the report (models ranked, per-task scores).</summary>
    public BenchmarkReport Run()
    {
        string outDir = Path.GetFullPath(options.Output);
        // (creating it over a file read "The file '/full/path' already exists.", naming neither the option nor the fix)
        if (File.Exists(outDir)) throw new InputException($"{options.Output}: is a file; --output names a folder for the models and the report");
        string data = Path.Combine(options.Samples, "data");
        foreach (var f in new[] { "corpus.txt", "train-pairs.jsonl", "train-triplets.jsonl" })
        {
            if (!File.Exists(Path.Combine(data, f)))
                throw new InputException($"{Path.Combine(data, f)}: bundled sample data not found (run from the repository root, or pass --samples DIR)");
        }
        Directory.CreateDirectory(outDir); // only once the samples are there: a run that cannot start leaves nothing behind

        // 1. A WordPiece tokenizer trained on the bundled corpus (lower-cased; æøåäö are kept).
        Stage("training a WordPiece tokenizer on samples/data/corpus.txt");
        var corpus = File.ReadLines(Path.Combine(data, "corpus.txt")).Where(l => l.Length > 0).ToList();
        string tokenizerJson = Stages.TrainTokenizer(corpus,
            new TokenizerTrainingOptions { Kind = TokenizerKind.WordPiece, VocabSize = options.VocabSize, Lowercase = true },
            Path.Combine(outDir, "tokenizer.json"));

        // 2. Static embeddings: random table (the "untrained" point) → MNRL + Matryoshka on pairs and triplets.
        Stage("static embedding model: MNRL + Matryoshka from a random table");
        var pairs = DatasetReader.Read(Path.Combine(data, "train-pairs.jsonl")).SelectColumns(["anchor", "positive"]);
        var triplets = DatasetReader.Read(Path.Combine(data, "train-triplets.jsonl")).SelectColumns(["anchor", "positive", "negative"]);
        int d = options.StaticDimension;
        string staticUntrained = StaticModelWriter.CreateRandom(Path.Combine(outDir, "static-untrained"), tokenizerJson, d, normalize: true, seed: 42);
        string[][] rows = [.. pairs.Rows.Select(r => new[] { r[0], r[1] }), .. triplets.Rows.Select(r => new[] { r[0], r[1] })];
        var staticConfig = Stages.Config(new ModelSection(staticUntrained, Dropout: 0) { Type = "static" },
            new LossSection { Type = "matryoshka", MatryoshkaDims = [d, d / 2, d / 4, d / 8] },
            new TrainingSection
            {
                BatchSize = 256, MaxSteps = Steps(options.StaticSteps), LearningRate = 0.2f, WarmupRatio = 0.1f, WeightDecay = 0,
                Seed = 42, LoggingSteps = 50,
            },
            Path.Combine(outDir, "static"));
        string staticTrained = Stages.Run(TrainingRun.Build(staticConfig, [new TextDataset("pairs+triplets", ["anchor", "positive"], rows)], null,
            Stages.Progress("loss", log)), Path.Combine(outDir, "static"));

        // 3-5. The small encoder: random init → SimCSE on the corpus → MNRL on pairs and triplets (YAML stage configs).
        Stage($"new BERT from random init (hidden {options.Bert.Hidden}, {options.Bert.Layers} layers)");
        string bertUntrained = RandomBert.Create(Path.Combine(outDir, "bert-untrained"), tokenizerJson, options.Bert, seed: 42);
        string? mlm = null;
        if (options.MlmSteps > 0)
        {
            Stage("masked-language-model pretraining on the corpus");
            mlm = Pretrain(bertUntrained, corpus, Path.Combine(outDir, "bert-mlm"));
        }
        Stage("unsupervised SimCSE on the corpus (configs/quickstart/simcse.yaml)");
        string simcse = Train("simcse.yaml", mlm ?? bertUntrained, Path.Combine(outDir, "bert-simcse"));
        Stage("supervised MNRL on pairs and triplets (configs/quickstart/supervised.yaml)");
        string bert = Train("supervised.yaml", simcse, Path.Combine(outDir, "bert"));

        // 6. Before/after on the held-out set.
        Stage("evaluating BM25, untrained and trained models on the held-out set");
        var report = Stages.Benchmark(Path.Combine(options.Samples, "quickstart-suite.json"),
            ["bm25", staticUntrained, staticTrained, bertUntrained, .. (mlm is null ? Array.Empty<string>() : [mlm]), simcse, bert],
            Path.Combine(outDir, "report"));
        log($"done in {clock.Elapsed.TotalSeconds:F0} s");
        return report;
    }

    private string Pretrain(string modelPath, IReadOnlyList<string> corpus, string modelDir) =>
        Stages.Pretrain(modelPath, corpus, new TrainingSection
        {
            MaxSteps = Steps(options.MlmSteps), BatchSize = 64, LearningRate = 5e-4f, WarmupRatio = 0.1f, Seed = 42, LoggingSteps = 20,
        }, maskProbability: 0.15f, modelDir, log);

    private string Train(string configFile, string modelPath, string modelDir) =>
        Stages.Train(Path.Combine(options.Configs, configFile), modelPath, modelDir, options.Budget, log);

    private int Steps(int steps) => Math.Max(2, (int)Math.Round(steps * options.Budget));

    private int stage;

    /// <summary>Logs the next stage as "k/n" (n is 6 without masked-LM pretraining, 7 with it).</summary>
    private void Stage(string message) =>
        log($"[{clock.Elapsed.TotalSeconds,5:F0} s] {++stage}/{(options.MlmSteps > 0 ? 7 : 6)} {message}");
}
