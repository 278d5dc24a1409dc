using Skald.Training.Config;
using Skald.Training.Modeling;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// The model a run trains, which <see cref="TrainingRun.Build(TrainingConfig, Action{TrainingProgress}?, Action{string}?, Skald.Distributed.ICommunicator?)"/>
/// loads from <c>model.path</c>, belongs to the setup as its frozen models do: its vocabulary table's file stays open
/// while the setup lives, closes when the setup is disposed, and at once when the setup cannot be built (Linux:
/// /proc/self/fd, on a scratch copy of the fixture).
/// </summary>
public sealed class StudentModelDisposalTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    private TrainingConfig Config(string model, params string[] overrides)
    {
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", string.Concat(Enumerable.Range(0, 8).Select(i =>
            $"{{\"anchor\": \"Hus nummer {i} ligger ved sjøen.\", \"positive\": \"Hus nummer {i} ligger vid sjön.\"}}\n")));
        string yaml = InfraPaths.WriteFile(dir, "config.yaml", $"""
            model:
              path: {model}
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

    [Fact]
    public void DisposingTheSetupReleasesTheStudent()
    {
        if (!OpenFiles.Visible) return;
        string student = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string weights = Path.Combine(student, "model.safetensors");
        var setup = TrainingRun.Build(Config(student));
        Assert.Equal(1, OpenFiles.Count(weights));
        setup.Dispose();
        setup.Dispose();
        Assert.True(Assert.IsType<TrainableEncoder>(setup.Model).Model.IsDisposed);
        Assert.Equal(0, OpenFiles.Count(weights));
    }

    [Fact]
    public void AStudentLoadedBeforeTheSetupFailsIsReleased()
    {
        if (!OpenFiles.Visible) return;
        string student = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string beir = Directory.CreateDirectory(Path.Combine(dir, "empty-beir")).FullName; // read after the model is loaded
        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(Config(student, $"evaluation.retrieval={beir}")));
        Assert.Contains("missing qrels", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, OpenFiles.Count(Path.Combine(student, "model.safetensors")));
    }
}
