using System.Globalization;
using Skald.Cli.IO;
using Skald.Evaluation.Benchmark;
using Skald.Tokenizers.Training;
using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Output;
using Skald.Training.Trainer;

namespace Skald.Cli.Pipeline;

/// <summary>The building blocks that `skald pipeline` and `skald quickstart` chain: each reads and writes folders.</summary>
internal static class Stages
{
    /// <summary>Trains a tokenizer on <paramref name="corpus"/> and writes tokenizer.json to <paramref name="path"/>.</summary>
    public static string TrainTokenizer(IEnumerable<string> corpus, TokenizerTrainingOptions options, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string json = TokenizerTrainer.TrainJson(corpus, options);
        AtomicFile.Write(path, s => s.Write(new System.Text.UTF8Encoding(false).GetBytes(json))); // never half a tokenizer.json a later stage reads
        return path;
    }

    /// <summary>
    /// Masked-LM pretraining of the BERT in <paramref name="modelPath"/> on <paramref name="corpus"/> (the trainer with
    /// <c>loss.type: mlm</c>); saves the model with its head (BertForMaskedLM's layout) to <paramref name="modelDir"/>.
    /// <paramref name="corpusName"/> (its files) names the corpus in messages.
    /// </summary>
    public static string Pretrain(string modelPath, IReadOnlyList<string> corpus, TrainingSection training, float maskProbability,
        string modelDir, Action<string> log, string corpusName = "corpus")
    {
        var rows = corpus.Where(l => l.Length > 0).Select(l => new[] { l }).ToArray();
        var config = Config(new ModelSection(modelPath), new LossSection { Type = "mlm", MaskProbability = maskProbability },
            training with { NoDuplicates = false }, modelDir);
        return Run(TrainingRun.Build(config, [new TextDataset(corpusName, ["text"], rows)], null, Progress("masked-LM loss", log), Notes(log)), modelDir);
    }

    /// <summary>
    /// Runs a `skald train` config with model.path = <paramref name="modelPath"/> (and model.adapters =
    /// <paramref name="adapters"/> when given) into runs/NAME beside <paramref name="modelDir"/>, then moves the final
    /// model (or LoRA adapter) to <paramref name="modelDir"/>. <paramref name="weights"/> (the stage's <c>weights</c>)
    /// sets model.weights; <paramref name="overrides"/> (<c>key=value</c>, as <c>--set</c>) go last.
    /// </summary>
    public static string Train(string configPath, string modelPath, string modelDir, double stepScale, Action<string> log,
        IReadOnlyList<string>? adapters = null, IReadOnlyList<string>? data = null, string? weights = null, IReadOnlyList<string>? overrides = null)
    {
        var config = TrainConfig(configPath, modelPath, modelDir, adapters, data, weights, overrides);
        if (stepScale != 1.0 && config.Training.MaxSteps > 0)
            config = config with { Training = config.Training with { MaxSteps = Math.Max(2, (int)Math.Round(config.Training.MaxSteps * stepScale)) } };
        HubPush.Check(config.Output);
        HubCheckpoints.Fetch(config.Output, quiet: true);
        using var built = TrainingRun.Build(config, Progress("loss", log), Notes(log));
        var checkpoints = HubCheckpoints.For(config.Output, quiet: true);
        var setup = checkpoints is null ? built : built with { CheckpointSaved = checkpoints.Saved };
        if (BaseWeights.Describe(setup.Model) is { } line) log("    " + line);
        string done = Run(setup, modelDir);
        checkpoints?.Finish();
        if (HubPush.Push(config.Output, done, quiet: true) is { } url) log($"    pushed {done} to {config.Output.HubModelId}: {url}");
        return done;
    }

    /// <summary>
    /// The `skald train` config at <paramref name="configPath"/> as <see cref="Train"/> runs it: model.path =
    /// <paramref name="modelPath"/>, output.dir = runs/NAME beside <paramref name="modelDir"/>, and
    /// <paramref name="adapters"/>, <paramref name="data"/> and <paramref name="weights"/> (a stage's keys) over
    /// model.adapters, data.train and model.weights when given, then <paramref name="overrides"/> (<c>key=value</c>).
    /// </summary>
    public static TrainingConfig TrainConfig(string configPath, string modelPath, string modelDir,
        IReadOnlyList<string>? adapters = null, IReadOnlyList<string>? data = null, string? weights = null, IReadOnlyList<string>? overrides = null)
    {
        string[] set = [$"model.path={Quoted(modelPath)}", $"output.dir={Quoted(RunDir(modelDir))}"];
        if (weights is not null) set = [.. set, $"model.weights={weights}"];
        if (data is { Count: > 0 }) // data.train from the pipeline (e.g. a mine_negatives stage) or the quickstart's samples
            set = [.. set, "data.train=[" + string.Join(", ", data.Select(Quoted)) + "]"];
        if (adapters is { Count: > 0 })
            set = [.. set, "model.adapters=[" + string.Join(", ", adapters.Select(Quoted)) + "]"];
        return ConfigLoader.Load(configPath, [.. set, .. overrides ?? []]);
    }

    /// <summary>
    /// The data files and folders a train stage's <paramref name="config"/> (<see cref="TrainConfig"/>) reads: data.train,
    /// data.eval, evaluation.retrieval, evaluation.tasks (hub ids too, which name no file) and an mse task's teacher
    /// folder, so a pipeline's train stage runs again when one of them changes (<see cref="StageMarks"/>).
    /// </summary>
    public static IReadOnlyList<string> TrainInputs(TrainingConfig config) =>
        [.. config.Data.Train, .. config.Data.Eval is { } eval ? [eval] : Array.Empty<string>(),
            .. config.Evaluation.Retrieval is { } beir ? [beir] : Array.Empty<string>(), .. config.Evaluation.Tasks,
            .. config.Evaluation.Tasks.Select(t => config.Evaluation.TaskEntries.GetValueOrDefault(t)?.Teacher).OfType<string>()];

    /// <summary>
    /// A run of the trainer built in code: <paramref name="model"/>, <paramref name="loss"/> and
    /// <paramref name="training"/> as the YAML sections would give them, no evaluation, no TensorBoard, the run folder
    /// runs/NAME beside <paramref name="modelDir"/> (a checkpoint every 500 steps, so a killed stage resumes).
    /// </summary>
    public static TrainingConfig Config(ModelSection model, LossSection loss, TrainingSection training, string modelDir) => new()
    {
        SourcePath = "skald", Model = model, Data = new DataSection([]), Training = training, Loss = loss,
        Evaluation = new EvaluationSection(), Output = new OutputSection { Dir = RunDir(modelDir), Tensorboard = false },
    };

    /// <summary>
    /// Runs <paramref name="setup"/>, disposes it (the frozen models its loss consults), and moves its final model to
    /// <paramref name="modelDir"/>.
    /// </summary>
    public static string Run(TrainerSetup setup, string modelDir)
    {
        string final;
        using (setup) final = new SentenceTrainer(setup).Run().ModelPath;
        if (Directory.Exists(modelDir)) Directory.Delete(modelDir, recursive: true);
        Directory.Move(final, modelDir);
        Skald.Models.Adapters.AdapterBase.Moved(final, modelDir); // an adapter on earlier adapters names them from its new place
        return modelDir;
    }

    /// <summary>The trainer's one-line notes (resuming from a checkpoint, a checkpoint written), logged indented.</summary>
    private static Action<string> Notes(Action<string> log) => line => log("    " + line);

    /// <summary>A progress callback that logs every 10th step's <paramref name="what"/>.</summary>
    public static Action<TrainingProgress> Progress(string what, Action<string> log) => p =>
    {
        if (p.Step % 10 == 0 || p.Step == p.TotalSteps)
            log(string.Create(CultureInfo.InvariantCulture, $"    step {p.Step}/{p.TotalSteps} {what} {p.Loss:F3} ({p.SamplesPerSecond:F0} samples/s)"));
    };

    /// <summary>
    /// <paramref name="value"/> as a JSON string, the form of a path in a <c>key=value</c> override (valid YAML: a bare
    /// path is read as YAML, and "-" or "a: b" would be a list or a mapping).
    /// </summary>
    public static string Quoted(string value) => System.Text.Json.JsonSerializer.Serialize(value);

    private static string RunDir(string modelDir) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelDir))!, "runs", Path.GetFileName(Path.GetFullPath(modelDir)));

    /// <summary>Benchmarks <paramref name="models"/> on a suite and writes report.{md,json,html} under <paramref name="output"/>.</summary>
    public static BenchmarkReport Benchmark(string suitePath, IReadOnlyList<string> models, string output)
    {
        var report = BenchmarkRunner.Run(Suite.Load(suitePath), models,
            new BenchmarkOptions
            {
                CacheDirectory = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!, "eval-cache"),
                Bm25DocumentLanguage = Skald.Cli.Commands.Index.IndexSources.GuessedLanguage, // as skald benchmark
            });
        report.Write(output);
        return report;
    }
}
