namespace Skald.Training.Tests.Distributed;

/// <summary>
/// <c>mpirun -np 2 skald encode</c> (also <c>--bge-m3 sparse|colbert|all</c>, whose ragged rows are gathered) and
/// <c>skald mpi-check</c>: the collectives on two real ranks.
/// </summary>
public sealed class DataParallelEncodeTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    [MpiFact]
    public void CollectivesGiveTheExpectedValuesOnTwoRanks()
    {
        var r = MpiRun.Run(2, dir, "mpi-check");
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Contains("world_size 2", r.Stdout);
        Assert.Contains("rank 0: ok", r.Stdout);
        Assert.Contains("rank 1: ok", r.Stdout);
        Assert.Contains("error text: MPI_Bcast failed: MPI_ERR_BUFFER", r.Stdout);
    }

    [MpiFact]
    public void ARankThatExitsMidRunEndsTheJobInsteadOfHanging()
    {
        var r = MpiRun.Run(2, dir, null, TimeSpan.FromSeconds(90), "mpi-check", "--exit-rank", "1");
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("non-zero", r.Stderr);
    }

    [MpiFact]
    public void EncodingOnTwoRanksWritesWhatOneProcessWrites()
    {
        string input = InfraPaths.WriteFile(dir, "texts.txt", string.Join('\n', Enumerable.Range(0, 37).Select(i =>
            i % 5 == 0 ? $"En lang setning nummer {i} om fjorden, fjellene og været i nord" : $"Kort tekst {i}")));
        string one = Path.Combine(dir, "one.jsonl"), two = Path.Combine(dir, "two.jsonl");
        var single = SkaldProcess.Run("encode", "--model", InfraPaths.FixtureModel("bert-cased-mean"), "--input", input, "--output", one, "--batch-size", "4");
        Assert.True(single.ExitCode == 0, single.Stderr);
        var mpi = MpiRun.Run(2, dir, "encode", "--model", InfraPaths.FixtureModel("bert-cased-mean"), "--input", input, "--output", two, "--batch-size", "4");
        Assert.True(mpi.ExitCode == 0, mpi.Stderr);
        Assert.Single(mpi.Stderr.Split('\n'), l => l.StartsWith("wrote 37 embeddings", StringComparison.Ordinal));
        var a = File.ReadAllLines(one).Select(Parse).ToArray();
        var b = File.ReadAllLines(two).Select(Parse).ToArray();
        Assert.Equal(37, b.Length);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i].Length, b[i].Length);
            for (int j = 0; j < a[i].Length; j++) Assert.True(Math.Abs(a[i][j] - b[i][j]) <= 1e-6, $"text {i} dim {j}: {a[i][j]} vs {b[i][j]}");
        }
    }

    [MpiTheory]
    [InlineData("sparse")]
    [InlineData("colbert")]
    [InlineData("all")]
    public void BgeM3OutputsOnTwoRanksAreTheFileOneProcessWrites(string output)
    {
        // Texts of different lengths: each rank's rows hold different numbers of tokens, so the gather is ragged, and the
        // two shards differ in size (37 texts); rank 1 encodes texts rank 0 never sees.
        string input = InfraPaths.WriteFile(dir, "texts.txt", string.Join('\n', Enumerable.Range(0, 37).Select(i =>
            i % 5 == 0 ? $"En lang setning nummer {i} om fjorden, fjellene og været i nord" : $"Kort tekst {i}")));
        string model = InfraPaths.FixtureModel("bge-m3-tiny");
        string one = Path.Combine(dir, "one.jsonl"), two = Path.Combine(dir, "two.jsonl");
        var single = SkaldProcess.RunWith(dir, new Dictionary<string, string> { ["SKALD_THREADS"] = "1" },
            "encode", "--model", model, "--input", input, "--output", one, "--batch-size", "4", "--bge-m3", output);
        Assert.True(single.ExitCode == 0, single.Stderr);
        var mpi = MpiRun.Run(2, dir, "encode", "--model", model, "--input", input, "--output", two, "--batch-size", "4", "--bge-m3", output);
        Assert.True(mpi.ExitCode == 0, mpi.Stderr);
        Assert.Single(mpi.Stderr.Split('\n'), l => l.StartsWith("wrote the ", StringComparison.Ordinal) && l.Contains(" of 37 texts", StringComparison.Ordinal)); // rank 0 alone writes
        Assert.Equal(37, File.ReadAllLines(two).Length);
        Assert.Equal(File.ReadAllBytes(one), File.ReadAllBytes(two));
    }

    private static float[] Parse(string line) => System.Text.Json.JsonSerializer.Deserialize<float[]>(line)!;
}
