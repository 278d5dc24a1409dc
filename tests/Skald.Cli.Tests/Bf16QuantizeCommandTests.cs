namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald encode --quantize bf16</c> end to end: embeddings within cosine 0.999 of float32's (and not float32's
/// under another name) where the CPU has AVX512-BF16; without it (AVX-512 hidden from the runtime) one notice line and
/// float32's bytes.
/// </summary>
public sealed class Bf16QuantizeCommandTests
{
    private static string Texts(string dir)
    {
        string input = Path.Combine(dir, "texts.txt");
        File.WriteAllLines(input, File.ReadLines(Path.Combine(TestPaths.FixtureModel(""), "texts.txt")).Where(t => t.Length > 0).Take(8));
        return input;
    }

    [Fact]
    public void Bf16EncodeIsWithinCosine0999OfFloat32()
    {
        string model = TestPaths.FixtureModel("bert-cased-mean"), dir = TestPaths.NewTempDir(), input = Texts(dir);
        string f32 = Path.Combine(dir, "f32.jsonl"), bf16 = Path.Combine(dir, "bf16.jsonl");
        var r = InProcessSkald.Capture("encode", "--model", model, "--input", input, "--output", f32);
        Assert.True(r.ExitCode == 0, r.Stderr);
        r = InProcessSkald.Capture("encode", "--model", model, "--input", input, "--output", bf16, "--quantize", "bf16");
        Assert.True(r.ExitCode == 0, r.Stderr);
        if (r.Stderr.Contains("no AVX512-BF16")) return; // float32 here: the fallback test covers it
        var (a, b) = (QuantizeCommandTests.ReadJsonl(f32), QuantizeCommandTests.ReadJsonl(bf16));
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.NotEqual(a[i], b[i]); // bfloat16, not float32 under another name
            double cosine = Skald.Tests.TestVectors.Cosine(a[i], b[i]);
            Assert.True(cosine >= 0.999, $"text {i + 1}: cosine {cosine}");
        }
    }

    [Fact]
    public void WithoutAvx512Bf16FallsBackToFloat32WithOneNotice()
    {
        // DOTNET_EnableAVX512=0 (.NET 10's name) hides AVX-512 (and so AVX512-BF16) from the runtime: a CPU without the instruction.
        var noAvx512 = new Dictionary<string, string> { ["DOTNET_EnableAVX512"] = "0" };
        string model = TestPaths.FixtureModel("bert-cased-mean"), dir = TestPaths.NewTempDir(), input = Texts(dir);
        string f32 = Path.Combine(dir, "f32.jsonl"), bf16 = Path.Combine(dir, "bf16.jsonl");
        var r = SkaldProcess.RunWith(null, noAvx512, "encode", "--model", model, "--input", input, "--output", f32);
        Assert.True(r.ExitCode == 0, r.Stderr);
        r = SkaldProcess.RunWith(null, noAvx512, "encode", "--model", model, "--input", input, "--output", bf16, "--quantize", "bf16");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Single(r.Stderr.Split('\n'), l => l.Contains("--quantize bf16: this CPU has no AVX512-BF16; encoding in float32"));
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.Equal(File.ReadAllText(f32), File.ReadAllText(bf16));
    }
}
