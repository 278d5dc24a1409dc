using Skald.Training.Config;

namespace Skald.Training.Tests.Config;

/// <summary>
/// A path in a training config or a <c>--set</c> that starts with <c>~/</c> is under the home folder, as the README's
/// <c>skald train --config ... --set model.path=~/models/nb-sbert-base</c> writes it: bash expands <c>~</c> only at the
/// start of a word, so that value reaches skald as it is typed (it was "~/models/nb-sbert-base: model folder not found").
/// </summary>
public sealed class HomeFolderPathTests
{
    private const string Minimal = MinimalConfig.Yaml;

    private static string Home => Environment.GetEnvironmentVariable("HOME") ?? Environment.GetEnvironmentVariable("USERPROFILE")!;

    [Fact]
    public void ALeadingTildeInAPathKeyIsTheHomeFolder()
    {
        var c = ConfigLoader.Parse(Minimal + "\nloss:\n  type: mse\n  teacher: ~/models/teacher\n", "c.yaml",
            ["model.path=~/models/nb-sbert-base", "data.train=[~/data/a.jsonl, b.jsonl]", "output.dir=~/runs/one",
             "model.adapters=[~/adapters/mntp]", "evaluation.retrieval=~/beir"]);
        Assert.Equal(Home + "/models/nb-sbert-base", c.Model.Path);
        Assert.Equal([Home + "/data/a.jsonl", "b.jsonl"], c.Data.Train);
        Assert.Equal(Home + "/runs/one", c.Output.Dir);
        Assert.Equal([Home + "/adapters/mntp"], c.Model.Adapters);
        Assert.Equal(Home + "/beir", c.Evaluation.Retrieval);
        Assert.Equal(Home + "/models/teacher", c.Loss.Teacher);
    }

    [Fact]
    public void ATildeElsewhereIsLeftAsItIs()
    {
        // ~user is another user's home (a shell would look it up): not guessed; a ~ inside a path is a plain character.
        var c = ConfigLoader.Parse(Minimal, "c.yaml", ["model.path=~someone/m", "data.train=[runs/~/d.jsonl]", "output.dir=o~"]);
        Assert.Equal("~someone/m", c.Model.Path);
        Assert.Equal(["runs/~/d.jsonl"], c.Data.Train);
        Assert.Equal("o~", c.Output.Dir);
    }

    [Fact]
    public void TheReadmeTrainCommandFindsAModelUnderHome()
    {
        string home = InfraPaths.NewTempDir(), work = InfraPaths.NewTempDir();
        TestPaths.CopyFolder(InfraPaths.FixtureModel("bert-cased-mean"), Path.Combine(home, "models", "nb-sbert-base"));
        InfraPaths.WriteFile(home, "pairs.jsonl", string.Concat(Enumerable.Range(0, 8).Select(i =>
            $"{{\"anchor\": \"Når går bussen til Bergen nummer {i}?\", \"positive\": \"Buss {i} går klokka ni.\"}}\n")));
        string config = InfraPaths.WriteFile(work, "train.yaml", """
            model:
              path: models/missing
            data:
              train: ~/pairs.jsonl
            training:
              batch_size: 4
              max_steps: 2
            output:
              dir: ~/runs/nb
            """);
        var r = SkaldProcess.RunWith(work, new Dictionary<string, string> { ["HOME"] = home },
            "train", "--config", config, "--set", "model.path=~/models/nb-sbert-base", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(File.Exists(Path.Combine(home, "runs", "nb", "final", "model.safetensors")));
        Assert.False(Directory.Exists(Path.Combine(work, "~")), "a folder named ~ was made in the working directory");
    }
}
