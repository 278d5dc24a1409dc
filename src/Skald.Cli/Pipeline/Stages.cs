using System.Globalization;
using Skald.Evaluation.Benchmark;
using Skald.Tokenizers.Training;
using Skald.Training.Config;
using Skald.Training.Modeling;
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
        File.WriteAllText(path, TokenizerTrainer.TrainJson(corpus, options));
        return path;
    }

    /// <summary>Masked-LM pretraining of the BERT in <paramref name="modelPath"/>; saves the encoder (without the head).</summary>
    public static string Pretrain(string modelPath, IReadOnlyList<string> corpus, MlmOptions options, string modelDir, Action<string> log)
    {
        var encoder = TrainableEncoder.Load(modelPath, dropout: 0.1f, seed: options.Seed);
        var result = new MaskedLanguageModeling(encoder, options.Seed).Train(corpus, options with
        {
            Progress = (step, loss) => { if (step % 20 == 0) log($"    step {step}: masked-LM loss {loss:F3}"); },
        });
        ModelSaver.Save(encoder.Source, encoder.Parameters, modelDir);
        log($"    {result.Steps} steps, loss {result.FirstLoss:F3} → {result.LastLoss:F3} ({result.Elapsed.TotalSeconds:F0} s)");
        return modelDir;
    }

    /// <summary>
    /// Runs a `skald train` config with model.path = <paramref name="modelPath"/> into runs/NAME beside
    /// <paramref name="modelDir"/>, then moves the final model to <paramref name="modelDir"/>.
    /// </summary>
    public static string Train(string configPath, string modelPath, string modelDir, double stepScale, Action<string> log)
    {
        string runDir = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelDir))!, "runs", Path.GetFileName(modelDir));
        var config = ConfigLoader.Load(configPath, [$"model.path={modelPath}", $"output.dir={runDir}"]);
        if (stepScale != 1.0 && config.Training.MaxSteps > 0)
            config = config with { Training = config.Training with { MaxSteps = Math.Max(2, (int)Math.Round(config.Training.MaxSteps * stepScale)) } };
        var setup = TrainingRun.Build(config, p =>
        {
            if (p.Step % 10 == 0 || p.Step == p.TotalSteps)
                log(string.Create(CultureInfo.InvariantCulture, $"    step {p.Step}/{p.TotalSteps} loss {p.Loss:F3} ({p.SamplesPerSecond:F0} samples/s)"));
        });
        string final = new SentenceTrainer(setup).Run().ModelPath;
        if (Directory.Exists(modelDir)) Directory.Delete(modelDir, recursive: true);
        Directory.Move(final, modelDir);
        return modelDir;
    }

    /// <summary>Benchmarks <paramref name="models"/> on a suite and writes report.{md,json,html} under <paramref name="output"/>.</summary>
    public static BenchmarkReport Benchmark(string suitePath, IReadOnlyList<string> models, string output)
    {
        var report = BenchmarkRunner.Run(Suite.Load(suitePath), models,
            new BenchmarkOptions { CacheDirectory = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!, "eval-cache") });
        report.Write(output);
        return report;
    }
}
