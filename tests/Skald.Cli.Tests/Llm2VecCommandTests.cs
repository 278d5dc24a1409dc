namespace Skald.Cli.Tests;

/// <summary>
/// The LLM2Vec journey's commands: <c>skald info</c> on an adapter folder names that folder and what it loads onto
/// (it printed the base's folder alone, as if the base were the model described), and <c>skald serve
/// --query-instruction</c> on a model that takes no instruction is one line, exit 2, before anything is served.
/// </summary>
public sealed class Llm2VecCommandTests
{
    [Fact]
    public void InfoOnAnAdapterFolderNamesItAndItsBase()
    {
        string adapter = Path.Combine(TestPaths.FixtureModel("torch-bin"), "adapter-st");
        var r = InProcessSkald.Capture("info", "--model", adapter);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"model:            {adapter}\n", r.Stdout);
        Assert.Contains($" + {adapter} (merged in this order)\n", r.Stdout);
        Assert.Contains("base + adapters:  ", r.Stdout);
    }

    // The model given relative to the working folder and the base its adapter_config.json names relative to the adapter
    // (../../bert-cased-mean): every folder info prints is in one form, the full path without ../ (it printed the model as
    // typed and the base as adapter-st/../../bert-cased-mean).
    [Fact]
    public void InfoPrintsEveryFolderAsAFullPath()
    {
        string adapter = Path.Combine(TestPaths.FixtureModel("torch-bin"), "adapter-st");
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, adapter);
        Assert.False(Path.IsPathRooted(relative));
        var r = InProcessSkald.Capture("info", "--model", relative);
        Assert.True(r.ExitCode == 0, r.Stderr);
        string full = Path.GetFullPath(adapter), baseFolder = Path.GetFullPath(TestPaths.FixtureModel("bert-cased-mean"));
        Assert.Contains($"model:            {full}\n", r.Stdout);
        Assert.Contains($"base + adapters:  {baseFolder} + {full} (merged in this order)\n", r.Stdout);
        Assert.DoesNotContain($"{Path.DirectorySeparatorChar}..{Path.DirectorySeparatorChar}", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void AQueryInstructionForAModelWithoutInstructionsIsRefused()
    {
        var r = InProcessSkald.Capture("serve", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--query-instruction", "Finn svaret", "--port", "0");
        SkaldProcess.AssertUserError(r, 2, "--query-instruction is for an LLM2Vec --model (llm2vec_config.json)");
    }
}
