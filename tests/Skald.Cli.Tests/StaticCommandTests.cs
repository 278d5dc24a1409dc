using Skald.Models;

namespace Skald.Cli.Tests;

public sealed class StaticCommandTests
{
    [Fact]
    public void TrainWritesAStaticModelThatLoads()
    {
        string outDir = Path.Combine(TestPaths.NewTempDir(), "static");
        string data = Path.Combine(TestPaths.RepoRoot, "samples", "data");
        var r = InProcessSkald.Capture("static", "train", "--data", Path.Combine(data, "train-pairs.jsonl"),
            "--corpus", Path.Combine(data, "corpus.txt"), "--vocab-size", "2000", "--dim", "32", "--steps", "20", "--output", outDir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(File.Exists(Path.Combine(outDir, "0_StaticEmbedding", "model.safetensors")));
        var model = SentenceEncoder.Load(outDir);
        Assert.Equal(32, model.Dimension);
        Assert.Equal(1f, MathF.Sqrt(model.Encode("Hvor går toget?").Sum(v => v * v)), 4); // Normalize module by default
        var info = InProcessSkald.Capture("info", "--model", outDir);
        Assert.True(info.ExitCode == 0, info.Stderr);
        Assert.Contains("max length:       no limit", info.Stdout); // not int.MaxValue's 2147483647
    }

    [Fact]
    public void DistillWritesAStaticModelThatLoads()
    {
        string outDir = Path.Combine(TestPaths.NewTempDir(), "distilled");
        var r = InProcessSkald.Capture("static", "distill", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--dim", "16", "--output", outDir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(16, SentenceEncoder.Load(outDir).Dimension);
    }

    [Fact]
    public void AnOutputFolderThatHoldsSomethingIsNeverReplaced()
    {
        string outDir = TestPaths.NewTempDir(), notes = Path.Combine(outDir, "notes.txt");
        File.WriteAllText(notes, "keep me");
        string data = Path.Combine(TestPaths.RepoRoot, "samples", "data", "train-pairs.jsonl");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("static", "train", "--data", data, "--dim", "16", "--steps", "2", "--output", outDir), 1,
            $"{outDir}: the output folder exists and is not empty");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("static", "distill", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--dim", "8",
            "--output", outDir), 1, $"{outDir}: the output folder exists and is not empty");
        Assert.Equal("keep me", File.ReadAllText(notes));
        Assert.Single(Directory.EnumerateFileSystemEntries(outDir));
    }

    [Fact]
    public void ABadMatryoshkaWidthIsRefusedBeforeAnythingIsWritten()
    {
        string outDir = Path.Combine(TestPaths.NewTempDir(), "static");
        string data = Path.Combine(TestPaths.RepoRoot, "samples", "data", "train-pairs.jsonl");
        var r = InProcessSkald.Capture("static", "train", "--data", data, "--dim", "16", "--matryoshka", "32,8", "--output", outDir);
        SkaldProcess.AssertUserError(r, 2, "option --matryoshka: '32' is not a width between 1 and 16");
        Assert.False(Directory.Exists(outDir), "a trained tokenizer was left in the output folder");
        int pairs = File.ReadLines(data).Count(l => l.Trim().Length > 0);
        r = InProcessSkald.Capture("static", "train", "--data", data, "--dim", "16", "--batch-size", "100000", "--output", outDir);
        SkaldProcess.AssertUserError(r, 2, $"option --batch-size 100000 is larger than the data: {data} hold {pairs} pairs");
        Assert.False(Directory.Exists(outDir), "a trained tokenizer was left in the output folder");
    }

    [Fact]
    public void ATokenizerThatIsMissingOrNotJsonIsNamedByItsPath()
    {
        string dir = TestPaths.NewTempDir(), junk = Path.Combine(dir, "junk.parquet"), missing = Path.Combine(dir, "nope.json");
        File.WriteAllText(junk, "junk");
        string data = Path.Combine(TestPaths.RepoRoot, "samples", "data", "train-pairs.jsonl");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("static", "train", "--data", data, "--tokenizer", junk, "--dim", "8", "--steps", "1",
            "--output", Path.Combine(dir, "a")), 1, $"{junk}: not JSON (line 1, column 1): ");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("static", "train", "--data", data, "--tokenizer", missing, "--dim", "8", "--steps", "1",
            "--output", Path.Combine(dir, "b")), 1, $"{missing}: no such file or folder (option --tokenizer takes");
        // a vocabulary token in Latin-1 ("bær") was read as "b\uFFFDr" and written into the new model's tokenizer.json
        string latin1 = Path.Combine(dir, "latin1.json");
        byte[] bytes = File.ReadAllBytes(Path.Combine(TestPaths.Fixtures, "tokenizers", "wordpiece-cased", "tokenizer.json"));
        int at = System.Text.Encoding.Latin1.GetString(bytes).IndexOf("\"[UNK]\"", StringComparison.Ordinal) + 2;
        bytes[at] = 0xE6;
        File.WriteAllBytes(latin1, bytes);
        int line = 1 + bytes.Take(at).Count(b => b == (byte)'\n');
        SkaldProcess.AssertUserError(InProcessSkald.Capture("static", "train", "--data", data, "--tokenizer", latin1, "--dim", "8", "--steps", "1",
            "--output", Path.Combine(dir, "c")), 1, $"{latin1}:{line}: not valid UTF-8 (byte 0xE6 at offset {at})");
        Assert.False(Directory.Exists(Path.Combine(dir, "c")));
    }

    [Fact]
    public void AFailureBeforeTrainingLeavesNoFolderBehind()
    {
        // The run folder (runs/NAME beside the output) and the output's missing parent were left, empty, by a bad tokenizer.
        string dir = TestPaths.NewTempDir(), notTokenizer = Path.Combine(dir, "tokenizer.json"), parent = Path.Combine(dir, "new");
        File.WriteAllText(notTokenizer, "{}");
        string data = Path.Combine(TestPaths.RepoRoot, "samples", "data", "train-pairs.jsonl");
        var r = InProcessSkald.Capture("static", "train", "--data", data, "--tokenizer", notTokenizer, "--dim", "8", "--steps", "1",
            "--output", Path.Combine(parent, "static"));
        SkaldProcess.AssertUserError(r, 1, notTokenizer);
        Assert.False(Directory.Exists(parent), string.Join(", ", Directory.Exists(parent) ? Directory.EnumerateFileSystemEntries(parent, "*", SearchOption.AllDirectories) : []));
        Assert.Equal([notTokenizer], Directory.EnumerateFileSystemEntries(dir));
    }

    [Fact]
    public void MissingDataFileIsNamed()
    {
        string missing = Path.Combine(TestPaths.NewTempDir(), "nope.jsonl");
        var r = InProcessSkald.Capture("static", "train", "--data", missing, "--output", TestPaths.NewTempDir());
        SkaldProcess.AssertUserError(r, 1, missing);
    }
}
