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
/// PyTorch references).
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
        Assert.Equal(teacher, config.Evaluation.TaskTeachers[task]);
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
        Assert.Equal(["eval_distil-nb_negative_mse"], evaluator.MetricNames);
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
        var e = Assert.Throws<TrainingException>(() => new TaskFileEvaluator(task, teacherFolder: missing));
        Assert.Equal($"evaluation.tasks: {task}: the teacher folder {missing} was not found", e.Message);
    }
}
