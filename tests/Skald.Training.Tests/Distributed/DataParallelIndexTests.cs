using Skald.Retrieval.Index;

namespace Skald.Training.Tests.Distributed;

/// <summary><c>mpirun -np 2 skald index build</c>: each rank embeds a shard, rank 0 writes the index one process writes.</summary>
public sealed class DataParallelIndexTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    [MpiFact]
    public void AnIndexBuiltOnTwoRanksEqualsTheOneBuiltByOneProcess()
    {
        string docs = Path.Combine(Skald.Tests.Repository.Root, "samples", "documents");
        string one = Path.Combine(dir, "one"), two = Path.Combine(dir, "two");
        string[] Args(string output) => ["index", "build", "--model", InfraPaths.FixtureModel("bert-cased-mean"), "--documents", docs,
            "--output", output, "--language", "nb", "--chunk-tokens", "48", "--overlap-tokens", "8", "--batch-size", "4"];
        var single = SkaldProcess.Run(Args(one));
        Assert.True(single.ExitCode == 0, single.Stderr);
        var mpi = MpiRun.Run(2, dir, Args(two));
        Assert.True(mpi.ExitCode == 0, mpi.Stderr);
        Assert.Single(mpi.Stderr.Split('\n'), l => l.StartsWith("indexed ", StringComparison.Ordinal)); // rank 0 alone writes
        Assert.Contains("on 2 ranks", mpi.Stderr);

        foreach (var file in new[] { IndexWriter.RecordsFile, IndexWriter.Bm25File })
            Assert.True(File.ReadAllBytes(Path.Combine(one, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(two, file))), file);
        static string Manifest(string folder) => string.Join('\n', File.ReadAllLines(Path.Combine(folder, IndexWriter.ManifestFile))
            .Where(l => !l.TrimStart().StartsWith("\"updated\"", StringComparison.Ordinal))); // the build time
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
}
