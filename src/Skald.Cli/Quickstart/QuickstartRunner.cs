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
    /// <summary>The sample data folder; null finds it (<see cref="QuickstartFiles"/>: ./samples, else the tool's copy).</summary>
    public string? Samples { get; init; }
    /// <summary>The stage configs folder; null finds it (./configs/quickstart, else the tool's copy).</summary>
    public string? Configs { get; init; }
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
    private string configs = "";

    /// <summary>The sample data folder the run reads (<see cref="QuickstartOptions.Samples"/>, else the one found); set by <see cref="Run"/>.</summary>
    public string? SamplesFolder { get; private set; }

    /// <summary>Runs every stage; returns the report (models ranked, per-task scores).</summary>
    public BenchmarkReport Run()
    {
        string outDir = Path.GetFullPath(options.Output);
        // (creating it over a file read "The file '/full/path' already exists.", naming neither the option nor the fix)
        if (File.Exists(outDir)) throw new InputException($"{options.Output}: is a file; --output names a folder for the models and the report");
        string samples = SamplesFolder = options.Samples
            ?? QuickstartFiles.Find(QuickstartFiles.Samples, QuickstartFiles.SamplesMarker, "the bundled sample data", "run from the repository root, or pass --samples DIR");
        string data = Path.Combine(samples, "data");
        foreach (var f in new[] { "corpus.txt", "train-pairs.jsonl", "train-triplets.jsonl" })
        {
            if (!File.Exists(Path.Combine(data, f)))
                throw new InputException($"{Path.Combine(data, f)}: bundled sample data not found (run from the repository root, or pass --samples DIR)");
        }
        configs = options.Configs ?? QuickstartFiles.Find(QuickstartFiles.Configs, QuickstartFiles.ConfigsMarker, "the quickstart's stage configs", "run from the repository root");
        Directory.CreateDirectory(outDir); // only once the samples are there: a run that cannot start leaves nothing behind

        // 1. A WordPiece tokenizer trained on the bundled corpus (lower-cased; æøåäö are kept).
        // (named as read: the working directory's samples/, --samples, or the installed tool's copy)
        string corpusFile = Path.Combine(data, "corpus.txt");
        Stage($"training a WordPiece tokenizer on {corpusFile}");
        var corpus = File.ReadLines(corpusFile).Where(l => l.Length > 0).ToList();
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
        Stage($"unsupervised SimCSE on the corpus ({Path.Combine(configs, "simcse.yaml")})");
        // (the configs name the samples as a clone holds them; the run reads them where it found them)
        string simcse = Train("simcse.yaml", mlm ?? bertUntrained, Path.Combine(outDir, "bert-simcse"), [corpusFile]);
        Stage($"supervised MNRL on pairs and triplets ({Path.Combine(configs, "supervised.yaml")})");
        string bert = Train("supervised.yaml", simcse, Path.Combine(outDir, "bert"),
            [Path.Combine(data, "train-pairs.jsonl"), Path.Combine(data, "train-triplets.jsonl")],
            $"evaluation.retrieval={Stages.Quoted(Path.Combine(data, "eval", "retrieval"))}");

        // 6. Before/after on the held-out set.
        Stage("evaluating BM25, untrained and trained models on the held-out set");
        var report = Stages.Benchmark(Path.Combine(samples, "quickstart-suite.json"),
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

    private string Train(string configFile, string modelPath, string modelDir, IReadOnlyList<string> data, params string[] overrides) =>
        Stages.Train(Path.Combine(configs, configFile), modelPath, modelDir, options.Budget, log, data: data, overrides: overrides);

    private int Steps(int steps) => Math.Max(2, (int)Math.Round(steps * options.Budget));

    private int stage;

    /// <summary>Logs the next stage as "k/n" (n is 6 without masked-LM pretraining, 7 with it).</summary>
    private void Stage(string message) =>
        log($"[{clock.Elapsed.TotalSeconds,5:F0} s] {++stage}/{(options.MlmSteps > 0 ? 7 : 6)} {message}");
}
