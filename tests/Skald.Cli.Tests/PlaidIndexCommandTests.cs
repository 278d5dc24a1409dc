using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald index build --plaid</c> and <c>skald search --plaid-ncells / --plaid-ndocs</c> with the fixture PyLate model:
/// the index is written with its codec, without <c>tokens.f32</c>, and searched through PLAID's stages with the defaults
/// and with the options; <c>index info</c> says PLAID (the search's numbers: Skald.Retrieval.Tests' PlaidRankingTests); the options
/// on the wrong model or index, or beside <c>--precision</c> / <c>--maxsim-candidates</c>, are one line each.
/// </summary>
public sealed class PlaidIndexCommandTests
{
    private static readonly string Model = TestPaths.FixtureModel("colbert-bert-tiny");
    private static readonly string DenseModel = TestPaths.FixtureModel("bert-cased-mean");
    private static readonly string Documents = SampleDocuments.Folder;

    [Fact]
    public void PlaidBuildsSearchesAndSaysSoAndItsOptionsAreRefusedElsewhere()
    {
        string dir = TestPaths.NewTempDir(), folder = Path.Combine(dir, "plaid");
        var r = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Documents, "--output", folder, "--language", "nb",
            "--plaid", "--plaid-nbits", "2", "--plaid-centroids", "32");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("PLAID: 32 centroids, 2-bit residuals", r.Stdout + r.Stderr);
        var info = InProcessSkald.Capture("index", "info", "--index", folder, "--format", "json");
        Assert.True(info.ExitCode == 0, info.Stderr);
        Assert.StartsWith("plaid (32 centroids, 2-bit", JsonDocument.Parse(info.Stdout).RootElement.GetProperty("token_precision").GetString());
        Assert.Contains("scored by MaxSim over PLAID's candidates", JsonDocument.Parse(info.Stdout).RootElement.GetProperty("vectors").GetString());
        Assert.False(File.Exists(Path.Combine(folder, "tokens.f32")));

        const string query = "Hvor kan jeg parkere sykkelen?";
        void Search(params string[] extra)
        {
            var s = InProcessSkald.Capture([.. new[] { "search", "--index", folder, "--query", query, "--mode", "dense", "--top-k", "3" }, .. extra]);
            Assert.True(s.ExitCode == 0, s.Stderr);
            Assert.Contains("3 results", s.Stdout);
        }
        Search();
        Search("--plaid-ncells", "32", "--plaid-ndocs", "400");

        string output = Path.Combine(dir, "x");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", DenseModel, "--documents", Documents, "--output", output, "--plaid"),
            2, "--plaid is for a late-interaction (ColBERT / PyLate) model's index");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Documents, "--output", output, "--plaid-nbits", "1"),
            2, "--plaid-nbits applies with --plaid");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Documents, "--output", output, "--plaid", "--precision", "int8"),
            2, "--plaid and --precision are two ways");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--documents", Documents, "--output", output, "--plaid", "--plaid-nbits", "4"),
            1, "--plaid-nbits 4: PLAID codes take 1, 2 or 4 bits a value");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", folder, "--query", query, "--plaid-ncells", "2", "--maxsim-candidates", "3"),
            2, "two candidate stages");
        string plain = SampleDocuments.Index(InProcessSkald.Capture, Model, "--language", "nb");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", plain, "--query", query, "--plaid-ndocs", "8"),
            2, "--plaid-ndocs applies to a PLAID index");
    }
}
