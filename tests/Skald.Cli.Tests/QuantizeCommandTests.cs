using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>--quantize int8</c> and <c>skald quantize</c> end to end: int8 embeddings within cosine 0.99 of the PyTorch
/// reference, a saved int8 folder giving the same embeddings as <c>--quantize int8</c>, one-line errors.
/// </summary>
public sealed class QuantizeCommandTests
{
    internal static float[][] ReadJsonl(string path) =>
        [.. File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<float[]>(l)!)];

    private static double Cosine(float[] a, float[] b) => global::Skald.Tests.TestVectors.Cosine(a, b);

    [Fact]
    public void Int8EncodeAndSavedInt8FolderAgree()
    {
        string model = TestPaths.FixtureModel("bert-cased-mean");
        var rows = File.ReadLines(Path.Combine(model, "expected.jsonl")).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "texts.txt"), direct = Path.Combine(dir, "direct.jsonl"), saved = Path.Combine(dir, "saved.jsonl");
        File.WriteAllLines(input, rows.Select(r => r.GetProperty("text").GetString()!.Replace('\n', ' ')));
        var r = InProcessSkald.Capture("encode", "--model", model, "--input", input, "--output", direct, "--quantize", "int8");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var int8 = ReadJsonl(direct);
        for (int i = 0; i < rows.Count; i++)
        {
            var expected = rows[i].GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray();
            Assert.True(Cosine(expected, int8[i]) >= 0.99, $"text {i + 1}: cosine {Cosine(expected, int8[i])}");
        }

        string folder = Path.Combine(dir, "int8-model");
        // What a killed earlier run left: the staged folder of a process that is gone. The write goes through the same
        // staging (a hidden sibling moved into place at the end), which clears it first.
        string stale = Path.Combine(dir, ".tmp-int8-model-999999");
        Directory.CreateDirectory(Path.Combine(stale, "1_Pooling"));
        File.WriteAllText(Path.Combine(stale, "model.safetensors.tmp"), "half");
        r = InProcessSkald.Capture("quantize", "--model", model, "--output", folder);
        if (r.ExitCode != 0 && r.Stderr.Contains("neither AVX-VNNI nor AVX2")) return; // no int8 kernels here
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.False(Directory.Exists(stale));
        Assert.Empty(Directory.GetDirectories(dir, ".tmp-*"));
        r = InProcessSkald.Capture("encode", "--model", folder, "--input", input, "--output", saved);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(File.ReadAllText(direct), File.ReadAllText(saved));

        SkaldProcess.AssertUserError(InProcessSkald.Capture("quantize", "--model", model, "--output", folder), 1, "exists and is not empty");
    }

    [Theory]
    [InlineData("decoder-qwen2")]
    [InlineData("norbert3-tiny-st")]
    [InlineData("norbert4-tiny")]
    public void Int8EncodeOfDecodersAndNorbertIsCloseToFloat32AndMatchesItsSavedFolder(string fixture)
    {
        string model = TestPaths.FixtureModel(fixture);
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "texts.txt"), f32 = Path.Combine(dir, "f32.jsonl"), i8 = Path.Combine(dir, "i8.jsonl"), saved = Path.Combine(dir, "saved.jsonl");
        File.WriteAllLines(input, File.ReadLines(Path.Combine(TestPaths.FixtureModel(""), "texts.txt")).Where(t => t.Length > 0).Take(8));
        var r = InProcessSkald.Capture("encode", "--model", model, "--input", input, "--output", f32);
        Assert.True(r.ExitCode == 0, r.Stderr);
        r = InProcessSkald.Capture("encode", "--model", model, "--input", input, "--output", i8, "--quantize", "int8");
        Assert.True(r.ExitCode == 0, r.Stderr);
        if (r.Stderr.Contains("neither AVX-VNNI nor AVX2")) return; // float32 here: nothing int8 to compare
        var (a, b) = (ReadJsonl(f32), ReadJsonl(i8));
        for (int i = 0; i < a.Length; i++)
        {
            Assert.NotEqual(a[i], b[i]); // int8, not float32 under another name
            Assert.True(Cosine(a[i], b[i]) >= 0.99, $"{fixture} text {i + 1}: cosine {Cosine(a[i], b[i])}");
        }
        string folder = Path.Combine(dir, "int8-model");
        // What a killed earlier run left: the staged folder of a process that is gone. The write goes through the same
        // staging (a hidden sibling moved into place at the end), which clears it first.
        string stale = Path.Combine(dir, ".tmp-int8-model-999999");
        Directory.CreateDirectory(Path.Combine(stale, "1_Pooling"));
        File.WriteAllText(Path.Combine(stale, "model.safetensors.tmp"), "half");
        r = InProcessSkald.Capture("quantize", "--model", model, "--output", folder);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.False(Directory.Exists(stale));
        Assert.Empty(Directory.GetDirectories(dir, ".tmp-*"));
        r = InProcessSkald.Capture("encode", "--model", folder, "--input", input, "--output", saved);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(File.ReadAllText(i8), File.ReadAllText(saved));
    }

    [Fact]
    public void WithoutAvx2OrVnniInt8FallsBackToFloat32WithOneNotice()
    {
        // DOTNET_EnableAVX2=0 hides AVX2 (and so AVX-VNNI) from the runtime: a CPU without the int8 instructions.
        string model = TestPaths.FixtureModel("bert-cased-mean");
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "texts.txt"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllLines(input, ["Hei verden", "Fjorden ligg stille i morgonsola."]);
        var r = SkaldProcess.RunWith(null, new Dictionary<string, string> { ["DOTNET_EnableAVX2"] = "0" },
            "encode", "--model", model, "--input", input, "--output", output, "--quantize", "int8");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("--quantize int8: this CPU has neither AVX-VNNI nor AVX2; encoding in float32", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.Equal(2, ReadJsonl(output).Length);
    }

    [Fact]
    public void Int8With16BitWeightsSaysTheyStay16Bit()
    {
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "texts.txt"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllLines(input, ["Hei verden"]);
        var r = InProcessSkald.Capture("encode", "--model", TestPaths.FixtureModel("decoder-qwen2"), "--input", input, "--output", output,
            "--weights", "bf16", "--quantize", "int8");
        Assert.True(r.ExitCode == 0, r.Stderr);
        if (!r.Stderr.Contains("neither AVX-VNNI nor AVX2"))
            Assert.Contains("the 16-bit weights (--weights bf16/f16) stay 16-bit", r.Stderr);
    }

    [Fact]
    public void UnknownQuantizationIsAUsageError() =>
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", "m", "--input", "i.txt", "--output", "o.jsonl", "--quantize", "int4"),
            2, "option --quantize got 'int4'; did you mean 'int8'? (must be one of int8, bf16)");

    [Fact]
    public void AnOutputInsideTheModelFolderIsNotCopiedIntoItself()
    {
        // The int8 folder is staged beside its target, here inside the model folder being copied: the copy must not
        // take in its own staging folder (it did, one level deeper each time, until the path was too long).
        string model = Path.Combine(TestPaths.NewTempDir(), "model");
        string fixture = TestPaths.FixtureModel("bert-cased-mean");
        foreach (var f in Directory.GetFiles(fixture, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(model, Path.GetRelativePath(fixture, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
        var entries = Directory.GetFileSystemEntries(model, "*", SearchOption.AllDirectories).Length;
        string output = Path.Combine(model, "int8");
        var r = InProcessSkald.Capture("quantize", "--model", model, "--output", output);
        if (r.ExitCode != 0 && r.Stderr.Contains("neither AVX-VNNI nor AVX2")) return; // no int8 kernels here
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(File.Exists(Path.Combine(output, "quantization_config.json")));
        Assert.Empty(Directory.GetDirectories(output, ".tmp-*", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetDirectories(model, ".tmp-*"));
        Assert.Equal(entries, Directory.GetFileSystemEntries(output, "*", SearchOption.AllDirectories).Length - 2); // + quantization_config.json, README.md (Int8Card)
        Assert.Equal(0, InProcessSkald.Capture("info", "--model", output).ExitCode);
    }
}
