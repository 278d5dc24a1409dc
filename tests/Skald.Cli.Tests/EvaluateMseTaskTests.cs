using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald evaluate --type mse --teacher DIR</c>: the teacher embeds the sources, --model the targets, scored as
/// sentence-transformers' MSEEvaluator (fixtures/st-api/make_st_parity_reference.py, from the two fixture models'
/// PyTorch references); --teacher is refused for other task types, and an mse task without it is one line; and
/// --add-transitive-closure, paraphrase mining's option, is refused for other task types.
/// </summary>
public sealed class EvaluateMseTaskTests
{
    private static readonly JsonElement Reference = MseTaskReference.Root;

    private static string TaskFile() => MseTaskReference.WriteTaskFile();

    [Fact]
    public void TheTeacherEmbedsTheSourcesAndTheModelTheTargets()
    {
        var r = InProcessSkald.Capture("evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--teacher", TestPaths.FixtureModel("plain-bert"),
            "--task", TaskFile(), "--type", "mse", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var result = JsonDocument.Parse(r.Stdout).RootElement;
        double want = Reference.GetProperty("negative_mse").GetDouble(), got = result.GetProperty("main_score").GetDouble();
        Assert.True(Math.Abs(want - got) <= 1e-4 * Math.Abs(want), $"{got} vs {want}");
        Assert.Equal("plain-bert", result.GetProperty("metadata").GetProperty("teacher").GetString());
    }

    [Fact]
    public void TruncateDimCutsTheTeachersEmbeddingsAsTheModels()
    {
        string cut = Reference.GetProperty("truncate_dim").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var r = InProcessSkald.Capture("evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--teacher", TestPaths.FixtureModel("plain-bert"),
            "--task", TaskFile(), "--type", "mse", "--truncate-dim", cut, "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        double want = Reference.GetProperty("negative_mse_truncated").GetDouble();
        double got = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("main_score").GetDouble();
        Assert.True(Math.Abs(want - got) <= 1e-4 * Math.Abs(want), $"{got} vs {want}");
    }

    [Fact]
    public void TheTeacherBelongsToAnMseTask()
    {
        string task = TaskFile();
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--task", task, "--type", "mse"),
            1, $"{task}: an mse task compares the model with a teacher model");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--teacher", TestPaths.FixtureModel("plain-bert"),
            "--task", task, "--type", "bitext"), 2, "--teacher applies to --type mse");
    }

    [Fact]
    public void TheTransitiveClosureBelongsToAParaphraseMiningTask()
    {
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--task", TaskFile(),
            "--type", "bitext", "--add-transitive-closure"), 2, "--add-transitive-closure applies to --type paraphrase-mining; this task is bitext");
        string dups = Path.Combine(TestPaths.NewTempDir(), "dups.jsonl");
        File.WriteAllText(dups, "{\"id\":\"a\",\"text\":\"Hei!\",\"duplicates\":[\"b\"]}\n{\"id\":\"b\",\"text\":\"Hei du!\",\"duplicates\":[\"c\"]}\n" +
            "{\"id\":\"c\",\"text\":\"Hallo!\"}\n");
        var r = InProcessSkald.Capture("evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--task", dups, "--add-transitive-closure", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var metadata = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("metadata");
        Assert.Equal("3", metadata.GetProperty("duplicates").GetString()); // a-b and b-c given, a-c by the closure
        Assert.Equal("true", metadata.GetProperty("add_transitive_closure").GetString());
    }
}
