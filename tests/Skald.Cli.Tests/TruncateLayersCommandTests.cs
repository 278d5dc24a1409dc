namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald truncate-layers</c>: the 4-layer BERT cut to 2 layers is a model folder that encodes (as a
/// sentence-transformers folder, its pooling and Normalize kept) what the whole model's second layer pooled would
/// give, which differs from the whole model; bad requests are one line and write nothing.
/// </summary>
public sealed class TruncateLayersCommandTests : IDisposable
{
    private readonly string dir = TestPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string[] EncodeLines(string model, string name)
    {
        string input = Path.Combine(dir, "in.txt"), output = Path.Combine(dir, name + ".jsonl");
        File.WriteAllText(input, "Toget går klokka sju.\nKor mykje kostar billetten?\n");
        var r = InProcessSkald.Capture("encode", "--model", model, "--input", input, "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return File.ReadAllLines(output);
    }

    [Fact]
    public void TheCutFolderEncodesAndKeepsItsModules()
    {
        string source = Path.Combine(TestPaths.Fixtures, "training", "bert-4layers");
        string cut = Path.Combine(dir, "two");
        var r = InProcessSkald.Capture("truncate-layers", "--model", source, "--layers", "2", "--output", cut);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("\"num_hidden_layers\": 2", File.ReadAllText(Path.Combine(cut, "config.json")));
        Assert.True(File.Exists(Path.Combine(cut, "modules.json")));
        Assert.True(File.Exists(Path.Combine(cut, "1_Pooling", "config.json")));
        var small = EncodeLines(cut, "small");
        var whole = EncodeLines(source, "whole");
        Assert.Equal(2, small.Length);
        Assert.NotEqual(whole, small);
        var v = System.Text.Json.JsonSerializer.Deserialize<float[]>(small[0])!;
        Assert.Equal(1.0, Math.Sqrt(v.Sum(x => x * (double)x)), 4); // the Normalize module is still there
    }

    [Theory]
    [InlineData("4", "has 4 layers; keep between 1 and 3 of them, not 4")]
    [InlineData("0", "--layers")]
    public void BadLayerCountsAreOneLine(string layers, string message)
    {
        string cut = Path.Combine(dir, "bad");
        var r = InProcessSkald.Capture("truncate-layers", "--model", Path.Combine(TestPaths.Fixtures, "training", "bert-4layers"), "--layers", layers, "--output", cut);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(cut) && Directory.EnumerateFileSystemEntries(cut).Any());
    }

    [Theory]
    [InlineData("model/sub")]
    [InlineData("link/sub")] // a new folder under a link to the model folder lies inside it too
    public void AnOutputInsideTheModelFolderIsOneLineAndWritesNothing(string output)
    {
        // It wrote the smaller model into the folder of the model it was cut from.
        string model = Path.Combine(dir, "model");
        foreach (var f in Directory.EnumerateFiles(Path.Combine(TestPaths.Fixtures, "training", "bert-4layers"), "*", SearchOption.AllDirectories))
        {
            string to = Path.Combine(model, Path.GetRelativePath(Path.Combine(TestPaths.Fixtures, "training", "bert-4layers"), f));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(f, to);
        }
        Directory.CreateSymbolicLink(Path.Combine(dir, "link"), model);
        var before = Directory.EnumerateFileSystemEntries(model, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var r = SkaldProcess.RunIn(dir, "truncate-layers", "--model", "model", "--layers", "2", "--output", output);
        SkaldProcess.AssertUserError(r, 2, $"--output {output} is inside the input model");
        Assert.Equal(before, Directory.EnumerateFileSystemEntries(model, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
    }
}
