using System.Diagnostics;
using Skald.Cli.IO;
using Skald.Evaluation.Benchmark;
using Skald.Retrieval.Data;
using Skald.Retrieval.Search;
using Skald.Tokenizers.Training;
using Skald.Training.Config;
using Skald.Training.Modeling;

namespace Skald.Cli.Pipeline;

/// <summary>
/// `skald pipeline --config FILE`: runs the stages of a pipeline file in order. Each stage writes OUTPUT/NAME; a value
/// that names an earlier stage stands for that stage's output. Stage types: tokenizer, new_bert, static, mlm, train (a
/// `skald train` YAML config), benchmark, generate and mine_negatives (DataStages), translate, answer and
/// evaluate_generation (StudyStages). See configs/pipeline-example.yaml. Every stage's keys are read (types and
/// unknown keys checked), the files and models they name found (unless an earlier stage makes them; a STAGE/FILE
/// must be a file that stage writes), and LLM stages' API keys found, before the first stage runs
/// (<see cref="PipelinePreflight"/>, <see cref="StageLlm"/>). A stage an earlier run finished with the same key is
/// kept (<see cref="StageMarks"/>) unless <paramref name="rerunFrom"/> names it or a stage before it (--from, --force).
/// </summary>
internal sealed class PipelineRunner(string configPath, Action<string> log, Action<BenchmarkReport> printReport,
    IReadOnlyList<string>? overrides = null, RerunFrom? rerunFrom = null)
{
    private static readonly string[] Types = ["tokenizer", "new_bert", "static", "mlm", "train", "benchmark", "generate", "mine_negatives", "translate", "answer", "evaluate_generation"];

    private readonly Dictionary<string, string> outputs = new(StringComparer.Ordinal);

    // The files a stage reads that its keys do not name (a train stage's config's data), for its StageMarks key: by the
    // stage's output folder (OUTPUT/NAME), read just before the stage would run (earlier stages' outputs are there).
    private readonly Dictionary<string, Func<string, IEnumerable<string>>> inputs = new(StringComparer.Ordinal);

    public void Run()
    {
        var clock = Stopwatch.StartNew();
        var (output, stages) = StageConfig.Load(configPath, overrides);
        var plans = new List<Func<string, string>>();
        foreach (var stage in stages)
        {
            plans.Add(stage.Type switch
            {
                "tokenizer" => Tokenizer(stage),
                "new_bert" => NewBert(stage),
                "static" => Static(stage),
                "mlm" => Mlm(stage),
                "train" => Train(stage),
                "benchmark" => Benchmark(stage),
                "generate" => DataStages.Generate(stage, Ref, log),
                "mine_negatives" => DataStages.MineNegatives(stage, Ref),
                "translate" => StudyStages.Translate(stage, Ref, log),
                "answer" => StudyStages.Answer(stage, Ref, log),
                "evaluate_generation" => StudyStages.Evaluate(stage, Ref, log),
                _ => throw new InputException($"{stage.Keys.Where("type")}: unknown stage type \"{stage.Type}\"" +
                    $"{(Typos.Closest(stage.Type, Types) is { } near ? $"; did you mean \"{near}\"?" : "")} ({string.Join(", ", Types)})"),
            });
            stage.Keys.Done();
            LaterStageReference(stage, stages);
            PipelinePreflight.StageFiles(stage, stages);
            MissingFile(stage, stages);
            PipelinePreflight.Models(stage, stages);
        }
        int forcedFrom = rerunFrom is null ? stages.Count : rerunFrom.Index(stages);
        if (File.Exists(output)) throw new InputException($"{configPath}: output {output} is a file; name a folder for the stages' outputs");
        Directory.CreateDirectory(output);
        var marks = new StageMarks(output);
        using var ctrlC = new StageInterrupt();
        string key = "";
        for (int i = 0; i < stages.Count; i++)
        {
            key = StageMarks.Key(key, stages[i], inputs.TryGetValue(stages[i].Name, out var read) ? read(Path.Combine(output, stages[i].Name)) : [], output,
                PipelinePreflight.HubSnapshots(stages[i], stages));
            string where = $"[{clock.Elapsed.TotalSeconds,5:F0} s] stage {i + 1}/{stages.Count}: {stages[i].Name} ({stages[i].Type})";
            if (i < forcedFrom && marks.Done(stages[i].Name, key) is { } kept)
            {
                log($"{where}: done by an earlier run with the same settings, kept {kept}");
                outputs[stages[i].Name] = kept;
                continue;
            }
            log(i < forcedFrom ? where : $"{where}: run again ({rerunFrom!.Option})");
            marks.Forget(stages.Skip(i + 1));
            // A train or mlm stage resumes from its checkpoints (OUTPUT/runs/NAME) only when they are of a run with this
            // key, killed: the trainer's own check compares the settings, not the earlier stage's model they were made
            // from. Forced (--from, --force), it starts over: resumed, it would end at once with the model it repeats.
            string checkpoints = Path.Combine(output, "runs", stages[i].Name);
            if ((i >= forcedFrom || !marks.Began(stages[i].Name, key)) && Directory.Exists(checkpoints))
            {
                Directory.Delete(checkpoints, recursive: true);
                log($"    removed the checkpoints in {checkpoints}: " + (i >= forcedFrom
                    ? $"{rerunFrom!.Option} starts the stage over" : "they are of a run with other settings"));
            }
            ctrlC.Enter(stages[i].Name, i + 1, stages.Count, stages[i].Type, stages[i].Type is "train" or "mlm" ? checkpoints : null);
            marks.Start(stages[i].Name, key);
            outputs[stages[i].Name] = plans[i](Path.Combine(output, stages[i].Name));
            marks.Record(stages[i].Name, key, outputs[stages[i].Name]);
        }
        log($"done in {clock.Elapsed.TotalSeconds:F0} s; outputs in {output}/");
    }

    /// <summary>
    /// Refuses a path of <paramref name="stage"/> that names itself or a stage after it (NAME or NAME/FILE): its output
    /// does not exist yet when the stage runs, and the value would be taken for a path that is not there.
    /// </summary>
    private static void LaterStageReference(StageConfig stage, List<StageConfig> stages)
    {
        var later = stages.SkipWhile(s => s != stage).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (key, value) in stage.Keys.PathsRead)
        {
            string named = HybridSpec.TryParse(value) is { } hybrid ? hybrid.Model : value;
            int slash = named.IndexOf('/');
            string head = slash > 0 ? named[..slash] : named;
            if (later.Contains(head) && !Directory.Exists(head) && !File.Exists(named))
                throw new InputException($"{stage.Keys.Where(key)}: {stage.Name}.{key} names stage \"{head}\", which "
                    + (head == stage.Name ? "is this stage" : "runs later") + "; a stage can use only the outputs of the stages before it");
        }
    }

    /// <summary>
    /// Refuses a file or folder that <paramref name="stage"/> reads (<see cref="SectionReader.FilesRead"/>: a corpus, a
    /// config, a data file, ...) that does not exist and that no earlier stage makes (NAME or NAME/FILE): found now, not
    /// when the stage comes to run after the earlier stages have spent their time.
    /// </summary>
    private static void MissingFile(StageConfig stage, List<StageConfig> stages)
    {
        var earlier = stages.TakeWhile(s => s != stage).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (key, value) in stage.Keys.FilesRead)
        {
            int slash = value.IndexOf('/');
            if (earlier.Contains(slash > 0 ? value[..slash] : value) || File.Exists(value) || Directory.Exists(value)) continue;
            throw new InputException($"{stage.Keys.Where(key)}: {stage.Name}.{key}: {value} not found (no such file or folder, and no earlier stage makes it)");
        }
    }

    /// <summary>
    /// A stage name → its output, STAGE/FILE → that file in the stage's output folder (or, for a stage whose output is
    /// one file, such as a tokenizer stage's tok/tokenizer.json, that file); anything else is a path.
    /// </summary>
    private string Ref(string value)
    {
        if (HybridSpec.TryParse(value) is { } hybrid) return hybrid.Prefix + ":" + Ref(hybrid.Model); // BM25 + a stage's model
        if (outputs.TryGetValue(value, out var path)) return path;
        int slash = value.IndexOf('/');
        if (slash <= 0 || !outputs.TryGetValue(value[..slash], out var made)) return value;
        string file = value[(slash + 1)..];
        if (Directory.Exists(made)) return Path.Combine(made, file);
        // A file the stage wrote inside its own folder (OUTPUT/tok/tokenizer.json), not one beside it (OUTPUT/mined.jsonl).
        bool inFolder = Path.GetFileName(Path.GetDirectoryName(made)) == value[..slash];
        return File.Exists(made) && inFolder && file == Path.GetFileName(made) ? made : value;
    }

    private Func<string, string> Tokenizer(StageConfig s)
    {
        var corpus = s.Keys.FilePathList("corpus", required: true);
        var kind = s.Keys.Choice("kind", "wordpiece", "wordpiece", "bpe", "unigram");
        var options = new TokenizerTrainingOptions
        {
            Kind = kind switch { "bpe" => TokenizerKind.Bpe, "unigram" => TokenizerKind.Unigram, _ => TokenizerKind.WordPiece },
            VocabSize = s.Keys.Int("vocab_size", 8000, 1),
            Lowercase = s.Keys.Bool("lowercase", false),
        };
        return target =>
        {
            var lines = corpus.Select(Ref).SelectMany(TextInput.ReadLinesOf).ToList();
            Directory.CreateDirectory(target);
            return Stages.TrainTokenizer(lines, options, Path.Combine(target, "tokenizer.json"));
        };
    }

    private Func<string, string> NewBert(StageConfig s)
    {
        string tokenizer = s.Keys.Path("tokenizer", required: true)!; // as --tokenizer: a hub id too (PipelinePreflight.ModelKeys)
        var shape = new BertShape(s.Keys.Int("hidden", 128, 1), s.Keys.Int("layers", 2, 1), s.Keys.Int("heads", 4, 1),
            s.Keys.Int("intermediate", 512, 1), s.Keys.Int("max_positions", 128, 1));
        if (shape.Hidden % shape.Heads != 0)
            throw new InputException($"{s.Keys.Where("hidden")}: {s.Name}.hidden {shape.Hidden} must be a multiple of {s.Name}.heads {shape.Heads}");
        ulong seed = (ulong)s.Keys.Long("seed", 42, 0);
        return target => RandomBert.Create(target, TokenizerFile.Resolve(Ref(tokenizer), $"{s.Name}.tokenizer"), shape, seed);
    }

    /// <summary>
    /// A static embedding model (sentence-transformers' StaticEmbedding): new, over <c>tokenizer</c>, with a random
    /// N(0, 1) table (the base a static training stage starts from), or distilled from the encoder <c>model</c>
    /// (Model2Vec-style: the vocabulary embedded, PCA to <c>dim</c>, SIF weights from <c>corpus</c> when given).
    /// Keys: tokenizer | model, dim (256), normalize (true), seed (42, new), corpus (distilled).
    /// </summary>
    private Func<string, string> Static(StageConfig s)
    {
        string? tokenizer = s.Keys.Path("tokenizer"), model = s.Keys.Path("model");
        if ((tokenizer is null) == (model is null))
            throw new InputException($"{s.Where}: a static stage takes either tokenizer (a new model with a random table) or model (distilled from that encoder)");
        int dim = s.Keys.Int("dim", 256, 1);
        bool normalize = s.Keys.Bool("normalize", true);
        ulong seed = (ulong)s.Keys.Long("seed", 42, 0);
        var corpus = s.Keys.FilePathList("corpus");
        if (tokenizer is not null && corpus.Count > 0)
            throw new InputException($"{s.Keys.Where("corpus")}: {s.Name}.corpus gives the SIF weights of a distilled model (model:), not of a new one (tokenizer:)");
        return target =>
        {
            if (tokenizer is not null)
            {
                return Training.Static.StaticModelWriter.CreateRandom(target, TokenizerFile.Resolve(Ref(tokenizer), $"{s.Name}.tokenizer"), dim, normalize, seed);
            }
            using var teacher = Skald.Models.SentenceEncoder.Load(Ref(model!));
            var text = corpus.Count > 0 ? corpus.Select(Ref).SelectMany(TextInput.ReadLinesOf).ToList() : null;
            var table = Training.Static.StaticDistiller.Distill(teacher, dim, new Training.Static.StaticDistillOptions { Corpus = text });
            table.Save(target, normalize);
            log($"    distilled {teacher.Folder.Path} into a {table.Dimension}-d static model");
            return target;
        };
    }

    private Func<string, string> Mlm(StageConfig s)
    {
        string model = s.Keys.Path("model", required: true)!;
        var corpus = s.Keys.FilePathList("corpus", required: true);
        var training = new TrainingSection
        {
            MaxSteps = s.Keys.Int("steps", 200, 1),
            BatchSize = s.Keys.Int("batch_size", 32, 1),
            LearningRate = s.Keys.Float("learning_rate", 1e-3f, 0),
            WarmupRatio = 0.1f,
            Seed = (ulong)s.Keys.Long("seed", 42, 0),
            LoggingSteps = 20,
        };
        float maskProbability = s.Keys.Float("mask_probability", 0.15f, 0, 1);
        if (!(maskProbability > 0f && maskProbability < 1f))
            throw new InputException($"{s.Keys.Where("mask_probability")}: {s.Name}.mask_probability must be between 0 and 1 (exclusive), got {maskProbability}");
        return target =>
        {
            var files = corpus.Select(Ref).ToList();
            var lines = new List<string>();
            foreach (var file in files)
            {
                int before = lines.Count;
                lines.AddRange(TextInput.ReadLinesOf(file));
                if (lines.Count == before)
                    throw new InputException($"{file}: {s.Name}.corpus has no text to pretrain on (the file is empty or holds only blank lines)");
            }
            return Stages.Pretrain(Ref(model), lines, training, maskProbability, target, log, string.Join(", ", files));
        };
    }

    private Func<string, string> Train(StageConfig s)
    {
        string config = s.Keys.FilePath("config", required: true)!, model = s.Keys.Path("model", required: true)!;
        var adapters = s.Keys.PathList("adapters");
        var data = s.Keys.PathList("data");
        string? weights = s.Keys.Str("weights") is null ? null : s.Keys.Choice("weights", "f32", "f32", "bf16", "f16", "int8", "auto");
        inputs[s.Name] = target => Stages.TrainInputs(Stages.TrainConfig(Ref(config), Ref(model), target, [.. adapters.Select(Ref)], [.. data.Select(Ref)], weights));
        return target =>
        {
            try
            {
                return Stages.Train(Ref(config), Ref(model), target, 1.0, log, [.. adapters.Select(Ref)], [.. data.Select(Ref)], weights);
            }
            catch (TrainingException e) when (e.Message.StartsWith("training.", StringComparison.Ordinal))
            {
                // a training key's value that does not suit the data: it is set in the stage's config, not the pipeline file
                throw new InputException($"{Ref(config)} (the config of stage {s.Name}): {e.Message}");
            }
        };
    }

    private Func<string, string> Benchmark(StageConfig s)
    {
        string suite = s.Keys.FilePath("suite", required: true)!;
        var models = s.Keys.PathList("models", required: true);
        return target =>
        {
            printReport(Stages.Benchmark(Ref(suite), models.Select(Ref).ToList(), target));
            return target + ".html";
        };
    }
}
