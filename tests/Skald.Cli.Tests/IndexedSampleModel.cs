namespace Skald.Cli.Tests;

/// <summary>
/// A copy of the bert-cased-mean fixture with an index of the bundled sample documents built by <c>skald index build</c>,
/// for the tests of how search and <c>index add</c> check an index's model.
/// </summary>
internal static class IndexedSampleModel
{
    private static readonly string Documents = SampleDocuments.Folder;

    /// <summary>A fresh model copy and the index built with it.</summary>
    public static (string Model, string Index) Build()
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string index = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = Rebuild(model, index);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return (model, index);
    }

    /// <summary><c>skald index build</c> of the sample documents with <paramref name="model"/> into <paramref name="index"/>.</summary>
    public static SkaldProcess.Result Rebuild(string model, string index) =>
        InProcessSkald.Capture("index", "build", "--model", model, "--documents", Documents, "--output", index, "-q");

    /// <summary>A dense search of <paramref name="index"/>, JSON out.</summary>
    public static SkaldProcess.Result Dense(string index) =>
        SkaldProcess.Run("search", "--index", index, "--query", "Hvor kan jeg parkere sykkelen?", "--mode", "dense", "--format", "json");

    /// <summary><c>index add</c> of a new one-line text file named <paramref name="name"/>.</summary>
    public static SkaldProcess.Result AddText(string index, string name)
    {
        string extra = Path.Combine(TestPaths.NewTempDir(), name);
        File.WriteAllText(extra, "Fjordhesten Blakken står i stallen bak kontoret.");
        return InProcessSkald.Capture("index", "add", "--index", index, "--documents", extra, "-q");
    }
}
