using Skald.Training.Config;

namespace Skald.Training.Tests.Config;

public sealed class ConfigTests
{
    private const string Minimal = MinimalConfig.Yaml;

    [Fact]
    public void SampleConfigParsesAndDocumentsEveryKey()
    {
        string path = Path.Combine(InfraPaths.RepoRoot, "configs", "train-example.yaml");
        var c = ConfigLoader.Load(path);
        Assert.Equal("fixtures/models/bert-cased-mean", c.Model.Path);
        Assert.Equal(0.1f, c.Model.Dropout);
        Assert.Equal(["samples/data/train-triplets.jsonl"], c.Data.Train);
        Assert.Equal(["anchor", "positive", "negative"], c.Data.Columns!);
        foreach (var p in c.Data.Train.Append(c.Data.Eval!).Append(c.Evaluation.Retrieval!))
            Assert.True(File.Exists(Path.Combine(InfraPaths.RepoRoot, p)) || Directory.Exists(Path.Combine(InfraPaths.RepoRoot, p)), p);
        Assert.Equal(32, c.Training.BatchSize);
        Assert.Equal(2e-5f, c.Training.LearningRate);
        Assert.Equal("mnrl", c.Loss.Type);
        Assert.Equal(20f, c.Loss.Scale);
        Assert.Equal("runs/example", c.Output.Dir);
        // Every key the loader knows appears in the sample: the loader rejects unknown keys, and this checks the reverse.
        string text = File.ReadAllText(path);
        foreach (var key in new[]
                 {
                     "path", "dropout", "train", "columns", "sampling", "max_train_samples", "eval", "eval_split", "max_eval_samples",
                     "batch_size", "learning_rate", "epochs", "max_steps", "warmup_steps", "scheduler", "weight_decay",
                     "adam_beta1", "adam_beta2", "adam_epsilon", "max_grad_norm", "gradient_accumulation_steps", "seed",
                     "shuffle", "no_duplicates", "logging_steps", "gradient_checkpointing", "type", "scale", "symmetric", "mini_batch_size", "margin",
                     "matryoshka_inner", "matryoshka_dims", "matryoshka_weights", "steps", "retrieval", "retrieval_max_queries",
                     "metric_for_best_model", "greater_is_better", "load_best_model_at_end", "dir", "save_steps",
                     "save_total_limit", "resume", "tensorboard", "model_name",
                 })
            Assert.Contains($"\n  {key}:", text);
        // Keys of one model or loss type are listed commented out, as examples.
        foreach (var key in new[] { "pooling_strategy", "activation_function", "inference_free", "learning_rate_mapping", "splade_inner", "document_regularizer_weight",
                     "query_regularizer_weight", "use_document_regularizer_only", "teacher", "guide", "temperature", "document_regularizer_threshold", "query_regularizer_threshold",
                     "csr_hidden_dim", "csr_k", "csr_k_aux", "csr_dead_threshold", "freeze_transformer", "csr_inner", "csr_similarity", "csr_beta", "csr_gamma", "cached", "group_by_label",
                     "tasks", "task_limit", "deletion_ratio", "pos_neg_ratio", "tie_encoder_decoder", "decoder", "positive_margin", "negative_margin", "adaptive_layer", "n_layers_per_step", "last_layer_weight", "prior_layers_weight", "kl_div_weight", "kl_temperature", "unified_finetuning", "use_self_distill", "self_distill_start_step", "kd_loss_type", "query_max_len", "passage_max_len" })
            Assert.Contains($"\n  # {key}:", text);
    }

    [Fact]
    public void DefaultsApplyToAMinimalConfig()
    {
        var c = ConfigLoader.Parse(Minimal, "c.yaml");
        Assert.Equal(["d.jsonl"], c.Data.Train);
        Assert.Equal(1f, c.Training.MaxGradNorm);
        Assert.Equal(42UL, c.Training.Seed);
        Assert.True(c.Training.Shuffle);
        Assert.Equal(-1, c.Training.MaxSteps);
        Assert.Equal("linear", c.Training.Scheduler);
        Assert.False(c.Training.GradientCheckpointing);
        Assert.True(ConfigLoader.Parse(Minimal + "\ntraining:\n  gradient_checkpointing: true\n", "c.yaml").Training.GradientCheckpointing);
    }

    [Fact]
    public void TransformersConstantWithWarmupIsSkaldsConstant()
    {
        // transformers' lr_scheduler_type name for a warm-up then a flat rate; Skald's constant warms up the same way
        var c = ConfigLoader.Parse(Minimal, "c.yaml", ["training.scheduler=constant_with_warmup", "training.warmup_steps=10"]);
        Assert.Equal("constant", c.Training.Scheduler);
        Assert.Equal(10, c.Training.WarmupSteps);
    }

    [Fact]
    public void AFractionOfAnEpochIsRead()
    {
        // transformers' num_train_epochs: 0.5 trains half an epoch (it was refused, pointing at max_steps)
        Assert.Equal(0.5, ConfigLoader.Parse(Minimal + "\ntraining:\n  epochs: 0.5\n", "c.yaml").Training.Epochs);
        Assert.Equal(3, ConfigLoader.Parse(Minimal + "\ntraining:\n  epochs: 3.0\n", "c.yaml").Training.Epochs);
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Minimal + "\ntraining:\n  epochs: 0\n", "c.yaml"));
        Assert.Equal("c.yaml:8: training.epochs must be above 0, got 0", e.Message);
    }

    [Fact]
    public void UnknownKeyIsAnErrorNamingKeyAndLine()
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Minimal + "\ntraining:\n  bacth_size: 8\n", "c.yaml"));
        Assert.Contains("c.yaml:8", e.Message);
        Assert.Contains("unknown config key 'training.bacth_size'", e.Message);
        Assert.Contains("batch_size", e.Message); // the list of known keys helps spot the typo
    }

    [Fact]
    public void UnknownSectionIsAnError()
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Minimal + "\ntrainer:\n  x: 1\n", "c.yaml"));
        Assert.Contains("unknown config section 'trainer'", e.Message);
    }

    [Fact]
    public void MissingRequiredKeyIsNamed()
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse("model:\n  path: m\noutput:\n  dir: o\n", "c.yaml"));
        Assert.Contains("missing required key 'data.train'", e.Message);
    }

    [Theory]
    [InlineData("training.batch_size=abc", "training.batch_size must be a whole number")]
    [InlineData("training.batch_size=0", "training.batch_size must be at least 1")]
    [InlineData("loss.type=foo", "loss.type must be one of")]
    [InlineData("training.shuffle=maybe", "training.shuffle must be true or false")]
    [InlineData("model.dropout=1.5", "model.dropout must be between")]
    [InlineData("training.nope=1", "unknown config key 'training.nope'")]
    [InlineData("nosection.x=1", "unknown config section 'nosection'")]
    [InlineData("batch_size=3", "expected section.key=value")]
    [InlineData("training.epochs=99999999999", "training.epochs must be at most 2147483647, got 99999999999")]
    [InlineData("training.learning_rate=-1", "training.learning_rate must be at least 0, got -1")]
    [InlineData("training.learning_rate=1e39", "training.learning_rate is too large, got 1e39")]
    [InlineData("data.columns=[anchor, anchor]", "--set: data.columns names 'anchor' twice")] // (it trained on (anchor, anchor))
    [InlineData("data.columns={anchor: 1}", "--set: data.columns must be a name or a list of names")]
    public void BadValuesAreNamed(string set, string fragment)
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Minimal, "c.yaml", [set]));
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void SetOverridesValuesAndParsesLists()
    {
        var c = ConfigLoader.Parse(Minimal, "c.yaml",
            ["training.batch_size=16", "loss.type=matryoshka", "loss.matryoshka_dims=[32, 16, 8]", "data.train=[a.jsonl, b.csv]",
             "training.learning_rate=3e-5", "model.dropout=0"]);
        Assert.Equal(16, c.Training.BatchSize);
        Assert.Equal("matryoshka", c.Loss.Type);
        Assert.Equal([32, 16, 8], c.Loss.MatryoshkaDims!);
        Assert.Equal(["a.jsonl", "b.csv"], c.Data.Train);
        Assert.Equal(3e-5f, c.Training.LearningRate);
        Assert.Equal(0f, c.Model.Dropout);
    }

    [Fact]
    public void QuickTestShrinksTheRun()
    {
        var c = ConfigLoader.Parse(Minimal + "\ntraining:\n  max_steps: 5000\n", "c.yaml", quickTest: true);
        Assert.True(c.QuickTest);
        Assert.Equal(1000, c.Data.MaxTrainSamples);
        Assert.Equal(ConfigLoader.QuickTestSteps, c.Training.MaxSteps);
    }

    [Fact]
    public void InvalidYamlNamesTheLine()
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse("model:\n  path: [unclosed\n", "c.yaml"));
        Assert.Contains("c.yaml:", e.Message);
        Assert.Contains("invalid YAML", e.Message);
    }

    [Fact]
    public void ASecondDocumentIsNamedNotIgnored()
    {
        // Its keys were silently dropped: the run trained with the first document's settings only.
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Minimal + "\n---\ntraining:\n  batch_size: 8\n", "c.yaml"));
        Assert.Equal("c.yaml:8: a second YAML document (after '---'); the file holds one document, put these keys in the first", e.Message);
        e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse("---\n---\n" + Minimal, "c.yaml"));
        Assert.StartsWith("c.yaml:3: a second YAML document", e.Message);
        // A '---' before the keys, or front-matter style around them, holds no second set of keys.
        Assert.Equal("out", ConfigLoader.Parse("---\n" + Minimal + "\n---\n", "c.yaml").Output.Dir);
        Assert.Equal("out", ConfigLoader.Parse(Minimal + "\n...\n", "c.yaml").Output.Dir);
    }

    [Theory]
    [InlineData("? [model, data]\n: 1\n", "c.yaml:1: a key is a list; keys are plain names")]
    [InlineData("model:\n  ? {path: m}\n  : 1\n", "c.yaml:2: a key in 'model' is a mapping; keys are plain names")]
    [InlineData("model:\n  path: m\ndata:\n  train: d.jsonl\ntraining:\n  learning_rate_mapping:\n    ? [a, b]\n    : 0.1\n",
        "c.yaml:6: training.learning_rate_mapping: a key is a list; keys are plain names")] // (it read as "", matching every parameter)
    public void AKeyThatIsAListOrAMappingIsNamed(string yaml, string message)
    {
        Assert.Equal(message, Assert.Throws<TrainingException>(() => ConfigLoader.Parse(yaml, "c.yaml")).Message);
    }

    /// <summary>A missing config is worded as every verb's missing input is, not as the runtime's "Could not find file '...'".</summary>
    [Fact]
    public void MissingConfigIsNamedAsFileNotFound()
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Load("/nonexistent/x.yaml"));
        Assert.Equal("/nonexistent/x.yaml: file not found", e.Message);
    }
}
