namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald search</c>'s per-query settings of one index kind (<c>--probes</c> IVF, <c>--ef</c> HNSW,
/// <c>--rescore-multiplier</c> quantized rows) given for an index of another kind: one line naming the setting, exit 2,
/// rather than a search that silently ignores it.
/// </summary>
public sealed class SearchSettingsCommandTests
{
    private static readonly string Model = TestPaths.FixtureModel("bert-cased-mean");
    private static readonly string Documents = SampleDocuments.Folder;

    // The shared index of the sample documents built with these settings (read only).
    private static string Build(params string[] settings) => SampleDocuments.Index(InProcessSkald.Capture, Model, settings);

    private static SkaldProcess.Result Search(string folder, params string[] settings) =>
        InProcessSkald.Capture(["search", "--index", folder, "--query", "Hvor kan jeg parkere sykkelen?", "--mode", "dense", "--format", "json", .. settings]);

    [Fact]
    public void ASettingTheIndexHasNoUseForIsOneLine()
    {
        string exact = Build();
        SkaldProcess.AssertUserError(Search(exact, "--probes", "3"), 2, "--probes applies to an IVF index (index build --ivf-lists)", "has no lists");
        SkaldProcess.AssertUserError(Search(exact, "--ef", "64"), 2, "--ef applies to an HNSW index (index build --hnsw)", "has no graph");
        SkaldProcess.AssertUserError(Search(exact, "--rescore-multiplier", "4"), 2, "--rescore-multiplier applies to an index of quantized rows", "float32 rows only");

        // each is taken by the index kind it is for
        foreach (var (build, setting) in new[] { (new[] { "--ivf-lists", "2" }, new[] { "--probes", "2" }), (["--hnsw", "8"], ["--ef", "64"]),
                     (["--precision", "int8"], ["--rescore-multiplier", "4"]), (["--pq", "8"], ["--rescore-multiplier", "4"]) })
        {
            var r = Search(Build(build), setting);
            Assert.True(r.ExitCode == 0, $"{string.Join(' ', build)} / {string.Join(' ', setting)}: {r.Stderr}");
        }
    }
}
