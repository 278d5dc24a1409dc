namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald encode --quantize bf16</c> end to end: embeddings within cosine 0.999 of float32's (and not float32's
/// under another name) where the CPU has AVX512-BF16; without it (AVX-512 hidden from the runtime) one notice line and
/// float32's bytes; the option makes the models bf16-only (no float32 copy of the Linear weights).
/// </summary>
public sealed class Bf16QuantizeCommandTests
{
    /// <summary>The fixtures' first 8 texts written to texts.txt in <paramref name="dir"/>; returns its path.</summary>
    internal static string Texts(string dir)
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
    public void QuantizeBf16HoldsTheLinearWeightsAsBf16PanelsAlone()
    {
        var encoder = Skald.Models.SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        var reranker = Skald.Models.CrossEncoders.CrossEncoder.Load(TestPaths.FixtureModel("ce-bert"));
        CommandLine.QuantizeOption.Apply(encoder, "bf16", quiet: true);
        CommandLine.QuantizeOption.Apply(reranker, "bf16", quiet: true);
        if (!Skald.Tensors.Quantization.Bf16Gemm.IsSupported)
        {
            Assert.True(encoder.IsPackedOnly && !encoder.IsBf16Only); // the notice's float32 fallback, held once
            return;
        }
        foreach (var weights in new[] { encoder.Transformer.Parameters, reranker.Parameters })
        {
            var kept = weights.Where(p => p.Shape.Length == 2 && !p.Name.Contains("embed") && !p.IsBf16Only).Select(p => p.Name).ToList();
            Assert.True(kept.Count == 0, $"Linear weights that kept their values: {string.Join(", ", kept)}");
        }
        Assert.True(encoder.IsBf16Only && encoder.ComputeBf16 && reranker.ComputeBf16);
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
