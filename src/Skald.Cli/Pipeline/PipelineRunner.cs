using System.Diagnostics;
using Skald.Cli.IO;
using Skald.Tokenizers.Training;
using Skald.Training.Config;
using Skald.Training.Modeling;

namespace Skald.Cli.Pipeline;

/// <summary>
/// `skald pipeline --config FILE`: runs the stages of a pipeline file in order. Each stage writes OUTPUT/NAME; a value
/// that names an earlier stage stands for that stage's output. Stage types: tokenizer, new_bert, mlm, train (a
/// `skald train` YAML config), benchmark. See configs/pipeline-example.yaml.
/// </summary>
internal sealed class PipelineRunner(string configPath, Action<string> log)
{
    private readonly Dictionary<string, string> outputs = new(StringComparer.Ordinal);

    /// <summary>The keys each stage type reads (checked for every stage before the first one runs).</summary>
    private static readonly Dictionary<string, string[]> KnownKeys = new()
    {
        ["tokenizer"] = ["corpus", "kind", "vocab_size", "lowercase"],
        ["new_bert"] = ["tokenizer", "hidden", "layers", "heads", "intermediate", "max_positions", "seed"],
        ["mlm"] = ["model", "corpus", "steps", "batch_size", "learning_rate", "mask_probability", "seed"],
        ["train"] = ["config", "model"],
        ["benchmark"] = ["suite", "models"],
    };

    public void Run()
    {
        var clock = Stopwatch.StartNew();
        var (output, stages) = StageConfig.Load(configPath);
        foreach (var stage in stages)
        {
            if (!KnownKeys.TryGetValue(stage.Type, out var known))
                throw new TrainingException($"{stage.Where}: unknown stage type \"{stage.Type}\" ({string.Join(", ", KnownKeys.Keys)})");
            if (stage.Keys.FirstOrDefault(k => !known.Contains(k)) is { } bad)
                throw new TrainingException($"{stage.Where}: unknown key \"{bad}\" for a {stage.Type} stage (known: {string.Join(", ", known)})");
        }
        Directory.CreateDirectory(output);
        foreach (var (stage, i) in stages.Select((s, i) => (s, i)))
        {
            log($"[{clock.Elapsed.TotalSeconds,5:F0} s] stage {i + 1}/{stages.Count}: {stage.Name} ({stage.Type})");
            string target = Path.Combine(output, stage.Name);
            outputs[stage.Name] = stage.Type switch
            {
                "tokenizer" => Tokenizer(stage, target),
                "new_bert" => NewBert(stage, target),
                "mlm" => Mlm(stage, target),
                "train" => Train(stage, target),
                "benchmark" => Benchmark(stage, target),
                _ => throw new TrainingException($"{stage.Where}: unknown stage type \"{stage.Type}\" (tokenizer, new_bert, mlm, train, benchmark)"),
            };
        }
        log($"done in {clock.Elapsed.TotalSeconds:F0} s; outputs in {output}/");
    }

    /// <summary>A stage name → its output; anything else is a path.</summary>
    private string Ref(string value) => outputs.TryGetValue(value, out var path) ? path : value;

    private string Tokenizer(StageConfig s, string target)
    {
        var corpus = s.List("corpus").Select(Ref).SelectMany(TextInput.ReadLinesOf).ToList();
        var kind = s.Str("kind") ?? "wordpiece";
        var options = new TokenizerTrainingOptions
        {
            Kind = kind switch
            {
                "wordpiece" => TokenizerKind.WordPiece,
                "bpe" => TokenizerKind.Bpe,
                "unigram" => TokenizerKind.Unigram,
                _ => throw new TrainingException($"{s.Where}: kind \"{kind}\" is not wordpiece, bpe or unigram"),
            },
            VocabSize = s.Int("vocab_size", 8000),
            Lowercase = s.Bool("lowercase", false),
        };
        s.RejectUnknownKeys();
        Directory.CreateDirectory(target);
        return Stages.TrainTokenizer(corpus, options, Path.Combine(target, "tokenizer.json"));
    }

    private string NewBert(StageConfig s, string target)
    {
        string tokenizer = Ref(s.Require("tokenizer"));
        var shape = new BertShape(s.Int("hidden", 128), s.Int("layers", 2), s.Int("heads", 4), s.Int("intermediate", 512),
            s.Int("max_positions", 128));
        ulong seed = (ulong)s.Int("seed", 42);
        s.RejectUnknownKeys();
        return RandomBert.Create(target, tokenizer, shape, seed);
    }

    private string Mlm(StageConfig s, string target)
    {
        string model = Ref(s.Require("model"));
        var corpus = s.List("corpus").Select(Ref).SelectMany(TextInput.ReadLinesOf).ToList();
        var options = new MlmOptions
        {
            Steps = s.Int("steps", 200), BatchSize = s.Int("batch_size", 32), LearningRate = s.Float("learning_rate", 1e-3f),
            MaskProbability = s.Float("mask_probability", 0.15f), Seed = (ulong)s.Int("seed", 42),
        };
        s.RejectUnknownKeys();
        return Stages.Pretrain(model, corpus, options, target, log);
    }

    private string Train(StageConfig s, string target)
    {
        string config = s.Require("config"), model = Ref(s.Require("model"));
        s.RejectUnknownKeys();
        return Stages.Train(config, model, target, 1.0, log);
    }

    private string Benchmark(StageConfig s, string target)
    {
        string suite = s.Require("suite");
        var models = s.List("models").Select(Ref).ToList();
        s.RejectUnknownKeys();
        var report = Stages.Benchmark(suite, models, target);
        Console.WriteLine(report.ToMarkdown());
        return target + ".html";
    }
}
