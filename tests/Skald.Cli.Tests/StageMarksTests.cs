using Skald.Cli.Pipeline;

namespace Skald.Cli.Tests;

/// <summary>
/// A stage's <see cref="StageMarks"/> key changes with what the stage reads, so a pipeline run again never keeps a
/// stage whose input changed: a file deep inside a folder it names (a BEIR folder's qrels/test.tsv, which the model
/// folder identity, reading only top-level json and weights, left out), and the data files its train config names.
/// </summary>
public sealed class StageMarksTests
{
    private static StageConfig Stage(string dir, string keys, params string[] overrides)
    {
        string config = Path.Combine(dir, "pipeline.yaml");
        File.WriteAllText(config, $"output: {Path.Combine(dir, "out")}\nstages:\n  - {{name: s, type: benchmark, {keys}}}\n");
        return StageConfig.Load(config, overrides).Stages[0];
    }

    [Fact]
    public void TheSameSettingsInAnotherOrderAreTheSameStage()
    {
        // --set appends a key the file does not give, so the order of the options was the order of the stage's YAML text
        string dir = TestPaths.NewTempDir();
        string Key(string keys, params string[] overrides) => StageMarks.Key("", Stage(dir, keys, overrides), [], Path.Combine(dir, "out"), []);
        string given = Key("suite: x", "s.models=[a, b]", "s.limit=3");
        Assert.Equal(given, Key("suite: x", "s.limit=3", "s.models=[a, b]"));
        Assert.Equal(given, Key("limit: 3, suite: x, models: [a, b]"));
        Assert.Equal(given, Key("models: [a, b]", "s.limit=3", "s.suite=x"));
        // what the settings are still counts: a list's order, a value, a key's name, a quoted null
        Assert.NotEqual(given, Key("suite: x", "s.models=[b, a]", "s.limit=3"));
        Assert.NotEqual(given, Key("suite: x", "s.models=[a, b]", "s.limit=4"));
        Assert.NotEqual(given, Key("suite: x", "s.models=[a, b]", "s.limits=3"));
        Assert.NotEqual(Key("suite: x, weights: null"), Key("suite: x, weights: 'null'"));
    }

    [Fact]
    public void AFileDeepInsideANamedFolderChangesTheKey()
    {
        string dir = TestPaths.NewTempDir(), beir = Path.Combine(dir, "beir");
        Directory.CreateDirectory(Path.Combine(beir, "qrels"));
        File.WriteAllText(Path.Combine(beir, "corpus.jsonl"), "{\"_id\": \"d1\", \"text\": \"a\"}\n");
        string qrels = Path.Combine(beir, "qrels", "test.tsv");
        File.WriteAllText(qrels, "query-id\tcorpus-id\tscore\nq1\td1\t1\n");
        var stage = Stage(dir, $"suite: {beir}");
        stage.Keys.FilePath("suite");
        string before = StageMarks.Key("", stage, [], Path.Combine(dir, "out"), []);
        Assert.Equal(before, StageMarks.Key("", stage, [], Path.Combine(dir, "out"), [])); // the same content, the same key
        File.WriteAllText(qrels, "query-id\tcorpus-id\tscore\nq1\td1\t0\n");
        Assert.NotEqual(before, StageMarks.Key("", stage, [], Path.Combine(dir, "out"), []));
    }

    [Fact]
    public void AnInputTheKeysDoNotNameChangesTheKey()
    {
        string dir = TestPaths.NewTempDir(), data = Path.Combine(dir, "train.jsonl");
        File.WriteAllText(data, "{\"anchor\": \"a\", \"positive\": \"b\"}\n");
        var stage = Stage(dir, "suite: x");
        string before = StageMarks.Key("", stage, [data], Path.Combine(dir, "out"), []);
        File.WriteAllText(data, "{\"anchor\": \"a\", \"positive\": \"c\"}\n");
        Assert.NotEqual(before, StageMarks.Key("", stage, [data], Path.Combine(dir, "out"), []));
    }

    [Fact]
    public void ThePipelineOutputInsideANamedFolderIsNotItsContent()
    {
        // a documents folder holding the pipeline's output: the stages' outputs and marks written there made every run a new key
        string dir = TestPaths.NewTempDir(), docs = Path.Combine(dir, "docs"), output = Path.Combine(docs, "run");
        Directory.CreateDirectory(Path.Combine(output, ".skald-stages"));
        File.WriteAllText(Path.Combine(docs, "a.txt"), "Fjorden ligg stille.");
        var stage = Stage(dir, $"suite: {docs}");
        stage.Keys.FilePath("suite");
        string before = StageMarks.Key("", stage, [], output, []);
        File.WriteAllText(Path.Combine(output, ".skald-stages", "s.json"), "{}");
        File.WriteAllText(Path.Combine(output, "mined.jsonl"), "{}");
        Assert.Equal(before, StageMarks.Key("", stage, [], output, []));
        File.WriteAllText(Path.Combine(docs, "b.txt"), "Ferja går klokka sju.");
        Assert.NotEqual(before, StageMarks.Key("", stage, [], output, []));
    }

    [Fact]
    public void AnMseTasksTeacherIsAnInputOfItsTrainStage()
    {
        // evaluation.tasks entry {path: TASK, teacher: DIR}: the teacher embeds the task's sources, so a changed teacher
        // changes the stage's evaluation as a changed task file does (the teacher was left out of the inputs)
        string dir = TestPaths.NewTempDir(), task = Path.Combine(dir, "distil.jsonl"), teacher = Path.Combine(dir, "teacher");
        var config = new Skald.Training.Config.TrainingConfig
        {
            Model = new Skald.Training.Config.ModelSection(Path.Combine(dir, "model")),
            Data = new Skald.Training.Config.DataSection([Path.Combine(dir, "train.jsonl")]),
            Training = new Skald.Training.Config.TrainingSection(),
            Loss = new Skald.Training.Config.LossSection(),
            Evaluation = new Skald.Training.Config.EvaluationSection
            {
                Tasks = [task], TaskEntries = new Dictionary<string, Skald.Training.Config.EvaluationTaskEntry> { [task] = new() { Teacher = teacher } },
            },
            Output = new Skald.Training.Config.OutputSection { Dir = Path.Combine(dir, "out") },
        };
        Assert.Contains(task, Stages.TrainInputs(config));
        Assert.Contains(teacher, Stages.TrainInputs(config));
    }
}
