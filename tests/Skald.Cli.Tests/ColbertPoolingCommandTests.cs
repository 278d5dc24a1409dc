using System.Text.Json;
using Skald.Models.LateInteraction;
using Skald.Retrieval.Index;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald index build --pool-factor N</c> with a ColBERT model: each row stores its document token vectors pooled as
/// <see cref="TokenPooling"/> pools the model's (whose parity with PyLate is TokenPoolingTests'), <c>index.json</c>
/// records the factor, <c>index add</c> pools new rows alike, and the option is refused for other models.
/// </summary>
public sealed class ColbertPoolingCommandTests
{
    private static readonly string Model = TestPaths.FixtureModel("colbert-bert-tiny");
    private static readonly string Documents = SampleDocuments.Folder;

    private static void AssertRowsPooled(string folder, ColbertEncoder encoder, int factor)
    {
        using var index = SearchIndex.Open(folder);
        Assert.Equal(factor, index.Manifest.PoolFactor);
        var records = index.Records;
        var expected = encoder.EncodeDocuments([.. records.Select(r => r.FullText)]);
        float[] buffer = [];
        bool fewer = false;
        for (int row = 0; row < records.Count; row++)
        {
            var pooled = TokenPooling.Pool(expected[row], factor);
            Assert.Equal(pooled.Values.Length, index.CopyTokens(row, ref buffer));
            Assert.Equal(pooled.Count, index.TokenCount(row));
            for (int j = 0; j < pooled.Values.Length; j++) Assert.True(Math.Abs(pooled.Values[j] - buffer[j]) <= 1e-6f, $"row {row}, value {j}");
            fewer |= pooled.Count < expected[row].Count;
        }
        Assert.True(fewer);
    }

    [Fact]
    public void BuildAndAddPoolEachRowsTokenVectorsAndInfoSaysSo()
    {
        string dir = TestPaths.NewTempDir();
        string docs = Path.Combine(dir, "docs");
        Directory.CreateDirectory(docs);
        foreach (string f in Directory.GetFiles(Documents).Order(StringComparer.Ordinal).Take(3)) File.Copy(f, Path.Combine(docs, Path.GetFileName(f)));
        string folder = Path.Combine(dir, "idx");
        var r = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", docs, "--output", folder, "--language", "nb", "--pool-factor", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("pooled by 2", r.Stdout + r.Stderr);
        using var encoder = ColbertEncoder.Load(Model);
        AssertRowsPooled(folder, encoder, 2);

        string more = Path.Combine(dir, "more");
        Directory.CreateDirectory(more);
        foreach (string f in Directory.GetFiles(Documents).Order(StringComparer.Ordinal).Skip(3)) File.Copy(f, Path.Combine(more, Path.GetFileName(f)));
        var add = InProcessSkald.Capture("index", "add", "--index", folder, "--documents", more);
        Assert.True(add.ExitCode == 0, add.Stderr);
        AssertRowsPooled(folder, encoder, 2);

        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--documents", docs,
            "--output", Path.Combine(dir, "dense"), "--pool-factor", "2"), 2, "--pool-factor is for a late-interaction");
    }
}
