using Skald.Retrieval.Index;

namespace Skald.Training.Tests.Distributed;

/// <summary>
/// <c>mpirun -np 2 skald index build</c>: each rank embeds a shard, rank 0 writes the index one process writes (a dense
/// model's; a ColBERT model's token vectors, with PLAID centroids trained on rank 0 over the gathered vectors; a
/// BGE-M3 model's three outputs).
/// </summary>
public sealed class DataParallelIndexTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    private static string Documents => Skald.Tests.SampleDocuments.Folder;

    private static string[] Args(string model, string output, params string[] extra) => ["index", "build", "--model", InfraPaths.FixtureModel(model), "--documents", Documents,
        "--output", output, "--language", "nb", "--chunk-tokens", "48", "--overlap-tokens", "8", "--batch-size", "4", .. extra];

    // One process's index and two ranks' of the same documents; both exit 0 and rank 0 alone writes.
    private (string One, string Two) BuildBoth(string model, params string[] extra)
    {
        string one = Path.Combine(dir, "one"), two = Path.Combine(dir, "two");
        var single = SkaldProcess.Run(Args(model, one, extra));
        Assert.True(single.ExitCode == 0, single.Stderr);
        var mpi = MpiRun.Run(2, dir, Args(model, two, extra));
        Assert.True(mpi.ExitCode == 0, mpi.Stderr);
        Assert.Single(mpi.Stderr.Split('\n'), l => l.StartsWith("indexed ", StringComparison.Ordinal)); // rank 0 alone writes
        Assert.Contains("on 2 ranks", mpi.Stderr);
        return (one, two);
    }

    private static string Manifest(string folder) => string.Join('\n', File.ReadAllLines(Path.Combine(folder, IndexWriter.ManifestFile))
        .Where(l => !l.TrimStart().StartsWith("\"updated\"", StringComparison.Ordinal))); // the build time

    [MpiFact]
    public void AnIndexBuiltOnTwoRanksEqualsTheOneBuiltByOneProcess()
    {
        var (one, two) = BuildBoth("bert-cased-mean");
        foreach (var file in new[] { IndexWriter.RecordsFile, IndexWriter.Bm25File })
            Assert.True(File.ReadAllBytes(Path.Combine(one, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(two, file))), file);
        Assert.Equal(Manifest(one), Manifest(two));
        using var a = SearchIndex.Open(one);
        using var b = SearchIndex.Open(two);
        Assert.True(a.Records.Count > 8, $"only {a.Records.Count} rows: too few to shard");
        Assert.Equal(a.Records.Count, b.Records.Count);
        for (int r = 0; r < a.Records.Count; r++)
        {
            var x = a.Vector(r);
            var y = b.Vector(r);
            Assert.Equal(x.Length, y.Length);
            for (int j = 0; j < x.Length; j++) Assert.True(Math.Abs(x[j] - y[j]) <= 1e-6, $"row {r} dim {j}: {x[j]} vs {y[j]}");
        }
    }

    // A late-interaction or BGE-M3 index: every rank encodes its shard of the chunks in the blocks one process encodes
    // them in, so every file, token vectors and PLAID centroids and codes included, is byte for byte one process's.
    [MpiTheory]
    [InlineData("colbert-bert-tiny", new[] { "--plaid", "--plaid-centroids", "8" })]
    [InlineData("colbert-bert-tiny", new[] { "--pool-factor", "2" })]
    [InlineData("bge-m3-tiny", new[] { "--bge-m3", "all", "--plaid", "--plaid-centroids", "8" })]
    public void ALateInteractionIndexBuiltOnTwoRanksIsTheOneProcessIndex(string model, string[] extra)
    {
        var (one, two) = BuildBoth(model, extra);
        using (var a = SearchIndex.Open(one))
            Assert.True(a.Records.Count > 8, $"only {a.Records.Count} rows: too few to shard");
        Assert.Equal(Manifest(one), Manifest(two));
        static string[] Files(string folder) => [.. Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f)).Order()];
        var files = Files(one);
        Assert.Equal(files, Files(two));
        foreach (var file in files.Where(f => f != IndexWriter.ManifestFile))
            Assert.True(File.ReadAllBytes(Path.Combine(one, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(two, file))), $"{file} differs");
    }
}
