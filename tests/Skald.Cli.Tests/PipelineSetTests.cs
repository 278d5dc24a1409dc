namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald pipeline --set STAGE.KEY=VALUE</c>: a bad value given on the command line is located as <c>--set</c>, not
/// by a line of the pipeline file (which does not hold it), its key named once (the line read
/// <c>--set tok.vocab_size: tok.vocab_size must ...</c>); values from the file keep their lines.
/// </summary>
public sealed class PipelineSetTests
{
    private static (string Config, string OutDir) Write()
    {
        string dir = TestPaths.NewTempDir(), outDir = Path.Combine(dir, "p"), path = Path.Combine(dir, "pipeline.yaml");
        File.WriteAllText(path, $$"""
            output: {{outDir}}
            stages:
              - {name: tok, type: tokenizer, corpus: samples/data/corpus.txt, vocab_size: 100}
              - name: init
                type: new_bert
                tokenizer: tok
                hidden: 32
            """);
        return (path, outDir);
    }

    [Fact]
    public void ABadSetValueIsNamedByItsSetNotByALine()
    {
        var (config, outDir) = Write();
        // Replacing a key of the file.
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config, "--set", "tok.vocab_size=lots");
        SkaldProcess.AssertUserError(r, 1, "skald: error: --set: tok.vocab_size must be a whole number, got 'lots'");
        Assert.DoesNotContain("pipeline.yaml", r.Stderr);
        Assert.False(Directory.Exists(outDir), "a stage ran before every stage was checked");

        // Adding a key: an unknown one, and a bad value of a key the file does not set.
        r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config, "--set", "init.layerz=2");
        SkaldProcess.AssertUserError(r, 1, "skald: error: --set: unknown config key 'init.layerz'");
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(r.Stderr, "init\\.layerz"));
        r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config, "--set", "init.heads=0");
        SkaldProcess.AssertUserError(r, 1, "skald: error: --set: init.heads must be at least 1, got 0");
        Assert.False(Directory.Exists(outDir), "a stage ran before every stage was checked");
    }

    [Fact]
    public void AFileValueKeepsItsLineBesideASetValue()
    {
        var (config, outDir) = Write();
        var r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config, "--set", "tok.vocab_size=200", "--set", "init.hidden=30",
            "--set", "init.heads=4");
        // hidden (from --set) is checked against heads (also --set): named by the hidden --set.
        SkaldProcess.AssertUserError(r, 1, "skald: error: --set: init.hidden 30 must be a multiple of init.heads 4");

        r = SkaldProcess.RunIn(TestPaths.RepoRoot, "pipeline", "--config", config, "--set", "tok.vocab_size=200", "--set", "init.heads=3");
        SkaldProcess.AssertUserError(r, 1, $"skald: error: {config}:7: init.hidden 32 must be a multiple of init.heads 3");
        Assert.False(Directory.Exists(outDir), "a stage ran before every stage was checked");
    }
}
