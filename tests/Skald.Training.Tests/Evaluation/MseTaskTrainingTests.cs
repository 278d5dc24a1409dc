using System.Text.Json;
using Skald.Models;
using Skald.Training.Config;
using Skald.Training.Evaluation;
using Skald.Training.Tests.Config;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Evaluation;

/// <summary>
/// An mse task during training: an <c>evaluation.tasks</c> entry <c>{path: TASK, teacher: DIR}</c>, the teacher
/// embedding the sources, the model being trained the targets, reported as <c>eval_TASK_negative_mse</c> with
/// sentence-transformers' MSEEvaluator's value (fixtures/st-api/make_st_parity_reference.py, from the two fixture models'
/// PyTorch references), both sides cut by the entry's <c>truncate_dim</c> as MSEEvaluator's <c>truncate_dim</c> cuts them;
/// and a paraphrase-mining entry asking for upstream's <c>add_transitive_closure</c>.
/// </summary>
public sealed class MseTaskTrainingTests
{
    private static readonly JsonElement Reference = MseTaskReference.Root;

    private static string TaskFile() => MseTaskReference.WriteTaskFile();

    [Fact]
    public void ATaskEntryWithATeacherIsScoredAsMseEvaluatorScoresIt()
    {
        string task = TaskFile(), teacher = TestPaths.FixtureModel("plain-bert");
        var config = ConfigLoader.Parse(MinimalConfig.Yaml.Replace("output:", $"evaluation:\n  tasks:\n    - {{path: {task}, teacher: {teacher}}}\noutput:", StringComparison.Ordinal), "c.yaml");
        Assert.Equal([task], config.Evaluation.Tasks);
        Assert.Equal(teacher, config.Evaluation.TaskEntries[task].Teacher);
        var evaluator = Assert.IsType<TaskFileEvaluator>(Assert.Single(TrainingRun.CreateEvaluators(config, null)));
        using var student = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        var model = new EncoderBackedModel(student);
        double want = Reference.GetProperty("negative_mse").GetDouble();
        // twice: the teacher embeds the sources once and is released; the second evaluation embeds the targets only
        for (int i = 0; i < 2; i++)
        {
            var metrics = evaluator.Evaluate(model, 4);
            double got = metrics["eval_distil-nb_negative_mse"];
            Assert.True(Math.Abs(want - got) <= 1e-4 * Math.Abs(want), $"{got} vs {want}");
            Assert.Equal(-got, metrics["eval_distil-nb_mse"], 9);
        }
        Assert.Equal(["eval_distil-nb_mse", "eval_distil-nb_negative_mse"], evaluator.MetricNames); // every metric reported (the model card lists them)
        Assert.Equal("eval_distil-nb_negative_mse", ((IEvaluator)evaluator).PrimaryMetric);
    }

    [Fact]
    public void AnEntrysTruncateDimCutsTheTeacherAndTheModelAsMseEvaluatorDoes()
    {
        string task = TaskFile(), teacher = TestPaths.FixtureModel("plain-bert");
        int cut = Reference.GetProperty("truncate_dim").GetInt32();
        var config = ConfigLoader.Parse(MinimalConfig.Yaml.Replace("output:",
            $"evaluation:\n  tasks:\n    - {{path: {task}, teacher: {teacher}, truncate_dim: {cut}}}\noutput:", StringComparison.Ordinal), "c.yaml");
        Assert.Equal(cut, config.Evaluation.TaskEntries[task].TruncateDim);
        var evaluator = Assert.IsType<TaskFileEvaluator>(Assert.Single(TrainingRun.CreateEvaluators(config, null)));
        using var student = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        double want = Reference.GetProperty("negative_mse_truncated").GetDouble();
        double got = evaluator.Evaluate(new EncoderBackedModel(student), 4)["eval_distil-nb_negative_mse"];
        Assert.True(Math.Abs(want - got) <= 1e-4 * Math.Abs(want), $"{got} vs {want}");

        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(MinimalConfig.Yaml.Replace("output:",
            $"evaluation:\n  tasks:\n    - {{path: {task}, truncate_dim: {cut}}}\noutput:", StringComparison.Ordinal), "c.yaml"));
        Assert.StartsWith("c.yaml:", e.Message);
        Assert.EndsWith("truncate_dim cuts an mse task's teacher and model embeddings; give the entry's teacher too", e.Message);
    }

    [Fact]
    public void AParaphraseMiningEntryAsksForTheTransitiveClosure()
    {
        string dir = TestPaths.NewTempDir(), dups = Path.Combine(dir, "dups.jsonl");
        File.WriteAllText(dups, "{\"id\":\"a\",\"text\":\"Hei!\",\"duplicates\":[\"b\"]}\n{\"id\":\"b\",\"text\":\"Hei du!\",\"duplicates\":[\"c\"]}\n" +
            "{\"id\":\"c\",\"text\":\"Hallo!\"}\n{\"id\":\"d\",\"text\":\"Ha det!\"}\n");
        var config = ConfigLoader.Parse(MinimalConfig.Yaml.Replace("output:",
            $"evaluation:\n  tasks:\n    - {{path: {dups}, add_transitive_closure: true}}\noutput:", StringComparison.Ordinal), "c.yaml");
        var evaluator = Assert.IsType<TaskFileEvaluator>(Assert.Single(TrainingRun.CreateEvaluators(config, null)));
        using var encoder = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        var model = new EncoderBackedModel(encoder);
        var got = evaluator.Evaluate(model, 4);
        // what skald evaluate scores the task as, with and without the closure (a-c joins a-b and b-c)
        var task = Skald.Evaluation.Data.TaskDefinition.FromPath(dups);
        var closed = Skald.Evaluation.Evaluators.TaskEvaluator.Create(task with { AddTransitiveClosure = true }).Evaluate(TrainingEmbeddingModel.For(model, 4));
        var open = Skald.Evaluation.Evaluators.TaskEvaluator.Create(task).Evaluate(TrainingEmbeddingModel.For(model, 4));
        Assert.Equal(closed.Metrics["recall"], got["eval_dups_recall"], 12);
        Assert.Equal(closed.Metrics["average_precision"], got["eval_dups_average_precision"], 12);
        Assert.NotEqual(open.Metrics.Values, closed.Metrics.Values); // the closure changes the scores of this set

        string mse = TaskFile();
        var e = Assert.Throws<TrainingException>(() => new TaskFileEvaluator(mse, entry: new EvaluationTaskEntry { Teacher = TestPaths.FixtureModel("plain-bert"), AddTransitiveClosure = true }));
        Assert.Equal($"evaluation.tasks: {mse}: add_transitive_closure applies to paraphrase-mining tasks; this one is mse", e.Message);
    }

    [Fact]
    public void AnEntryWithoutAPathIsOneLineNamingIt()
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(
            MinimalConfig.Yaml.Replace("output:", "evaluation:\n  tasks:\n    - {teacher: t}\noutput:", StringComparison.Ordinal), "c.yaml"));
        Assert.StartsWith("c.yaml:", e.Message);
        Assert.Contains("evaluation.tasks.path", e.Message);
    }

    [Fact]
    public void AMissingTeacherFolderIsOneLineNamingTheTask()
    {
        string task = TaskFile(), missing = Path.Combine(TestPaths.NewTempDir(), "nope");
        var e = Assert.Throws<TrainingException>(() => new TaskFileEvaluator(task, entry: new EvaluationTaskEntry { Teacher = missing }));
        Assert.Equal($"evaluation.tasks: {task}: the teacher folder {missing} was not found", e.Message);
    }
}
