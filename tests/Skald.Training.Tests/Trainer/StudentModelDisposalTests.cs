using Skald.Training.Config;
using Skald.Training.Modeling;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// The model a run trains, which <see cref="TrainingRun.Build(TrainingConfig, Action{TrainingProgress}?, Action{string}?, Skald.Distributed.ICommunicator?)"/>
/// loads from <c>model.path</c>, belongs to the setup as its frozen models do: its vocabulary table's file stays open
/// while the setup lives, closes when the setup is disposed, and at once when the setup cannot be built; so does the
/// copy of it contrastive tension's losses read (Linux: /proc/self/fd, on a scratch copy of the fixture).
/// </summary>
public sealed class StudentModelDisposalTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    private TrainingConfig Config(string model, params string[] overrides) => Config(model, false, overrides);

    // pairs (anchor, positive), or with sentences plain texts (contrastive tension's)
    private TrainingConfig Config(string model, bool sentences, params string[] overrides)
    {
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", string.Concat(Enumerable.Range(0, 8).Select(i => sentences
            ? $"{{\"text\": \"Hus nummer {i} ligger ved sjøen.\"}}\n"
            : $"{{\"anchor\": \"Hus nummer {i} ligger ved sjøen.\", \"positive\": \"Hus nummer {i} ligger vid sjön.\"}}\n")));
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
        Assert.True(OpenFiles.Count(weights) > 0); // the table's file, and the matrices' left there until first used
        setup.Dispose();
        setup.Dispose();
        Assert.True(Assert.IsType<TrainableEncoder>(setup.Model).Model.IsDisposed);
        Assert.Equal(0, OpenFiles.Count(weights));
    }

    [Theory]
    [InlineData("contrastive_tension")]
    [InlineData("contrastive_tension_pairs")]
    public void ContrastiveTensionsCopyOfTheStudentIsReleasedWithIt(string loss)
    {
        if (!OpenFiles.Visible) return;
        string student = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string weights = Path.Combine(student, "model.safetensors");
        int one;
        using (Skald.Models.SentenceEncoder.Load(student)) one = OpenFiles.Count(weights); // one model's (its table's and matrices')
        var setup = TrainingRun.Build(Config(student, true, $"loss.type={loss}"));
        Assert.Equal(2 * one, OpenFiles.Count(weights)); // the student and the copy the loss read from its folder
        setup.Dispose();
        Assert.Equal(0, OpenFiles.Count(weights));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("contrastive_tension")] // its copy of the student too
    public void AStudentLoadedBeforeTheSetupFailsIsReleased(string? loss)
    {
        if (!OpenFiles.Visible) return;
        string student = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string beir = Directory.CreateDirectory(Path.Combine(dir, "empty-beir")).FullName; // read after the model and the loss are built
        string[] overrides = loss is null ? [$"evaluation.retrieval={beir}"] : [$"evaluation.retrieval={beir}", $"loss.type={loss}"];
        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(Config(student, loss is not null, overrides)));
        Assert.Contains("missing qrels", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, OpenFiles.Count(Path.Combine(student, "model.safetensors")));
    }

    [Fact]
    public void AStudentRefusedForItsAttentionIsReleased()
    {
        // the model.attention check runs after the switch to that attention: the switched model shares the student's
        // files, and both are released with the one line
        if (!OpenFiles.Visible) return;
        string student = TestPaths.CopyOfFixtureModel("decoder-qwen2");
        TestPaths.WriteFile(student, "llm2vec_config.json", """{"pooling_mode": "mean", "max_length": 128, "doc_max_length": 400, "skip_instruction": true}""");
        string weights = Path.Combine(student, "model.safetensors");
        using (TrainingRun.Build(Config(student, "model.attention=bidirectional")))
            Assert.True(OpenFiles.Count(weights) > 0);
        Assert.Equal(0, OpenFiles.Count(weights));
        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(Config(student, "model.attention=causal")));
        Assert.StartsWith($"model.attention: causal, but {student} is an LLM2Vec model", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, OpenFiles.Count(weights));
    }
}
