using Skald.Training.Config;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// The frozen models a loss consults (mse's <c>loss.teacher</c>, gist's <c>loss.guide</c>) belong to the run's setup:
/// open while it runs, released when the setup is disposed, and at once when the setup cannot be built. So does the
/// teacher of an mse task in <c>evaluation.tasks</c> until its first evaluation (which releases it): with the setup when
/// no evaluation came, and at once when the setup cannot be built after it loaded (both were left open). Seen from the
/// file each one's vocabulary table is read from (Linux: /proc/self/fd), on scratch copies of the fixtures.
/// </summary>
public sealed class FrozenModelDisposalTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    private TrainingConfig Config(params string[] overrides)
    {
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", string.Concat(Enumerable.Range(0, 8).Select(i =>
            $"{{\"anchor\": \"Hus nummer {i} ligger ved sjøen.\", \"positive\": \"Hus nummer {i} ligger vid sjön.\"}}\n")));
        string yaml = InfraPaths.WriteFile(dir, "config.yaml", $"""
            model:
              path: {InfraPaths.FixtureModel("bert-cased-mean")}
            data:
              train: {data}
            training:
              batch_size: 4
              max_steps: 2
            output:
              dir: {Path.Combine(dir, "out")}
            """);
        return ConfigLoader.Load(yaml, overrides);
    }

    [Theory]
    [InlineData("mse", "teacher")]
    [InlineData("gist", "guide")]
    public void DisposingTheSetupReleasesTheFrozenModel(string loss, string key)
    {
        if (!OpenFiles.Visible) return;
        string frozen = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string weights = Path.Combine(frozen, "model.safetensors");
        var setup = TrainingRun.Build(Config($"loss.type={loss}", $"loss.{key}={frozen}"));
        var model = Assert.Single(setup.FrozenModels!.Models);
        Assert.True(OpenFiles.Count(weights) > 0); // the table's file, and the matrices' left there until first used
        setup.Dispose();
        setup.Dispose();
        Assert.True(model.IsDisposed);
        Assert.Equal(0, OpenFiles.Count(weights));
    }

    [Fact]
    public void ATeacherOfTheWrongWidthIsReleasedWithTheError()
    {
        if (!OpenFiles.Visible) return;
        string teacher = TestPaths.CopyOfFixtureModel("decoder-qwen2"); // 64-d, the student 32-d
        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(Config("loss.type=mse", $"loss.teacher={teacher}")));
        Assert.Contains("makes 64-d embeddings, the student 32-d", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, OpenFiles.Count(Path.Combine(teacher, "model.safetensors")));
    }

    [Fact]
    public void AGuideLoadedBeforeTheSetupFailsIsReleased()
    {
        if (!OpenFiles.Visible) return;
        string guide = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string beir = Directory.CreateDirectory(Path.Combine(dir, "empty-beir")).FullName; // read after the loss is built
        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(Config("loss.type=gist", $"loss.guide={guide}", $"evaluation.retrieval={beir}")));
        Assert.Contains("missing qrels", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, OpenFiles.Count(Path.Combine(guide, "model.safetensors")));
    }

    [Fact]
    public void DisposingASetupThatNeverEvaluatedReleasesAnMseTasksTeacher()
    {
        if (!OpenFiles.Visible) return;
        string teacher = TestPaths.CopyOfFixtureModel("plain-bert");
        string weights = Path.Combine(teacher, "model.safetensors");
        var setup = TrainingRun.Build(Config($"evaluation.tasks=[{{path: {MseTaskReference.WriteTaskFile()}, teacher: {teacher}}}]"));
        Assert.True(OpenFiles.Count(weights) > 0); // loaded with the setup, to embed the sources at the first evaluation
        setup.Dispose();
        setup.Dispose();
        Assert.Equal(0, OpenFiles.Count(weights));
    }

    [Fact]
    public void AnMseTasksTeacherLoadedBeforeTheSetupFailsIsReleased()
    {
        if (!OpenFiles.Visible) return;
        string teacher = TestPaths.CopyOfFixtureModel("plain-bert");
        // a second task file of the same name (another folder): refused once every entry is built, the teacher loaded
        var config = Config($"evaluation.tasks=[{{path: {MseTaskReference.WriteTaskFile()}, teacher: {teacher}}}, {MseTaskReference.WriteTaskFile()}]");
        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(config));
        Assert.Contains("two evaluators are named 'distil-nb'", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, OpenFiles.Count(Path.Combine(teacher, "model.safetensors")));
    }
}
