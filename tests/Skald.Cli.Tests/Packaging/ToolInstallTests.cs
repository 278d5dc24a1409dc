namespace Skald.Cli.Tests.Packaging;

/// <summary>
/// The .NET tool as a user gets it: <c>dotnet pack</c> of src/Skald.Cli (from the build this test run made, so
/// <c>--no-build</c>; the solution's pack the packaging tests share, <see cref="PackageRun.SolutionFeed"/>) into a temp
/// feed, <c>dotnet tool install --tool-path</c> from that folder only (a nuget.config that clears every other source, so
/// nothing is fetched), then the installed <c>skald</c> runs <c>--help</c>, <c>encode</c> on a fixture model, and
/// <c>quickstart</c> from an empty folder on the samples the package carries (the smallest budget: 2-8 steps a stage,
/// a few seconds of training; the full run's 4 minutes is <see cref="QuickstartTests"/>' to prove learning).
/// </summary>
[RunsLong(34)] // dotnet pack (shared by the packaging collection) and tool install
[Collection(PackageRun.Collection)]
[Trait("Category", "Packaging")]
public sealed class ToolInstallTests
{
    [Fact]
    public void PackedToolInstallsFromALocalFolderAndEncodes()
    {
        string dir = TestPaths.NewTempDir();
        string tools = Path.Combine(dir, "tools"), config = Path.Combine(dir, "nuget.config");
        var (feed, code, packed) = PackageRun.SolutionFeed(); // src/Skald.Cli packed with the libraries
        Assert.True(code == 0, packed);
        Assert.True(File.Exists(Path.Combine(feed, "skald.0.1.0.nupkg")) || Directory.GetFiles(feed, "skald.*.nupkg").Length == 1, packed);
        File.WriteAllText(config, PackageRun.NugetConfig(feed));
        var install = Dotnet(dir, "tool", "install", "--tool-path", tools, "--configfile", config, "--add-source", feed, "skald");
        Assert.True(install.Code == 0, install.Output);

        string skald = Path.Combine(tools, OperatingSystem.IsWindows() ? "skald.exe" : "skald");
        var help = Run(dir, skald, "--help");
        Assert.True(help.Code == 0, help.Output);
        Assert.Contains("encode", help.Output);

        string input = Path.Combine(dir, "texts.txt"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllLines(input, ["Hei verden", "Hej världen"]);
        var encode = Run(dir, skald, "encode", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--input", input, "--output", output);
        Assert.True(encode.Code == 0, encode.Output);
        Assert.Equal(2, File.ReadAllLines(output).Length);

        // The quickstart away from a clone: the tool's own samples and stage configs, then its next step as printed.
        string empty = Path.Combine(dir, "empty");
        Directory.CreateDirectory(empty);
        var quickstart = Run(empty, skald, "quickstart", "--output", "out", "--budget", "0.01");
        Assert.True(quickstart.Code == 0, quickstart.Output);
        foreach (var f in new[] { "report.json", "report.html", "static/modules.json", "bert/modules.json" })
            Assert.True(File.Exists(Path.Combine(empty, "out", f)), f + " missing: " + quickstart.Output);
        string next = quickstart.Output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("skald encode ", StringComparison.Ordinal));
        string[] words = next.Split(' ');
        Assert.StartsWith(Path.Combine(tools, ".store"), words[Array.IndexOf(words, "--input") + 1]); // the tool's copy of the example text
        var encodeNext = Run(empty, skald, words[1..]);
        Assert.True(encodeNext.Code == 0, encodeNext.Output);
        Assert.Equal(File.ReadAllLines(words[Array.IndexOf(words, "--input") + 1]).Count(l => l.Length > 0),
            File.ReadAllLines(Path.Combine(empty, "embeddings.jsonl")).Length);

        // Its fine-tuning step as printed, on the quickstart's model for the hub model it names (a few steps): the
        // config and data are the tool's own (it said `--config train.yaml`, a file no tool user has).
        string[] train = quickstart.Output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("skald train ", StringComparison.Ordinal)).Split(' ');
        Assert.StartsWith(Path.Combine(tools, ".store"), train[Array.IndexOf(train, "--config") + 1]);
        string[] args = [.. train[1..].Select(w => w == "model.path=~/models/nb-sbert-base" ? "model.path=" + Path.Combine(empty, "out", "bert") : w),
            "--set", "training.max_steps=2", "--set", "evaluation.steps=0", "--set", "data.max_eval_samples=8", "--set", "evaluation.retrieval_max_queries=8"];
        var trainNext = Run(empty, skald, args);
        Assert.True(trainNext.Code == 0, trainNext.Output);
        Assert.True(File.Exists(Path.Combine(empty, "runs", "example", "final", "modules.json")), trainNext.Output);
    }

    /// <summary>
    /// A pack with a build makes the ReadyToRun linux-x64 package beside the portable "any" one (dotnet tool install picks
    /// the one that fits, so other platforms still get the tool); a pack without a build (as above) the portable one alone.
    /// Packing the ReadyToRun package takes minutes, so this checks the properties that choose it.
    /// </summary>
    [Fact]
    public void APackWithABuildMakesReadyToRunAndPortableToolPackages()
    {
        string project = Path.Combine(TestPaths.RepoRoot, "src", "Skald.Cli", "Skald.Cli.csproj");
        var full = Dotnet(TestPaths.RepoRoot, "msbuild", project, "-getProperty:ToolPackageRuntimeIdentifiers", "-getProperty:PublishReadyToRun");
        Assert.True(full.Code == 0, full.Output);
        Assert.Contains("\"ToolPackageRuntimeIdentifiers\": \"linux-x64;any\"", full.Output);
        Assert.Contains("\"PublishReadyToRun\": \"true\"", full.Output);
        var noBuild = Dotnet(TestPaths.RepoRoot, "msbuild", project, "-p:NoBuild=true", "-getProperty:ToolPackageRuntimeIdentifiers");
        Assert.True(noBuild.Code == 0, noBuild.Output);
        Assert.Equal("", noBuild.Output.Trim());
    }

    private static (int Code, string Output) Dotnet(string workingDirectory, params string[] args) => PackageRun.Dotnet(workingDirectory, null, args);

    private static (int Code, string Output) Run(string workingDirectory, string file, params string[] args) => PackageRun.Run(workingDirectory, null, file, args);
}
