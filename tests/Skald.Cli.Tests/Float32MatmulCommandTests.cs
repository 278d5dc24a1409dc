namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald encode --float32-matmul high</c> end to end: where AMX-BF16 runs, embeddings within cosine 0.99999 of the
/// default's and not its bytes, and <c>SKALD_AMX_FP32=high</c> the same bytes for the process; where the float32 products
/// do not run on AMX (<c>SKALD_AMX_FP32=0</c>) one notice line and the default's bytes; a value it does not know refused
/// in one line.
/// </summary>
public sealed class Float32MatmulCommandTests
{
    private static string Texts(string dir) => Bf16QuantizeCommandTests.Texts(dir);

    [Fact]
    public void HighIsWithinCosine0Point99999OfHighestAndTheVariableAsksForTheSame()
    {
        string model = TestPaths.FixtureModel("bert-cased-mean"), dir = TestPaths.NewTempDir(), input = Texts(dir);
        string highest = Path.Combine(dir, "highest.jsonl"), high = Path.Combine(dir, "high.jsonl"), byProcess = Path.Combine(dir, "process.jsonl");
        var r = InProcessSkald.Capture("encode", "--model", model, "--input", input, "--output", highest);
        Assert.True(r.ExitCode == 0, r.Stderr);
        r = InProcessSkald.Capture("encode", "--model", model, "--input", input, "--output", high, "--float32-matmul", "high");
        Assert.True(r.ExitCode == 0, r.Stderr);
        if (!Skald.Tensors.Float32Matmul.HighRuns)
        {
            Assert.Contains("--float32-matmul high: this CPU has no usable AMX-BF16; products stay float32", r.Stderr);
            Assert.Equal(File.ReadAllText(highest), File.ReadAllText(high));
            return;
        }
        var (a, b) = (QuantizeCommandTests.ReadJsonl(highest), QuantizeCommandTests.ReadJsonl(high));
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++)
        {
            double cosine = Skald.Tests.TestVectors.Cosine(a[i], b[i]);
            Assert.True(cosine >= 0.99999, $"text {i + 1}: cosine {cosine}");
        }
        Assert.NotEqual(File.ReadAllText(highest), File.ReadAllText(high)); // high, not highest under another name
        var env = new Dictionary<string, string> { ["SKALD_AMX_FP32"] = "high" };
        r = SkaldProcess.RunWith(null, env, "encode", "--model", model, "--input", input, "--output", byProcess);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(File.ReadAllText(high), File.ReadAllText(byProcess));
    }

    [Fact]
    public void WithoutTheAmxProductHighGivesOneNoticeAndFloat32sBytes()
    {
        var off = new Dictionary<string, string> { ["SKALD_AMX_FP32"] = "0" }; // the float32 products on the FMA kernels
        string model = TestPaths.FixtureModel("bert-cased-mean"), dir = TestPaths.NewTempDir(), input = Texts(dir);
        string highest = Path.Combine(dir, "highest.jsonl"), high = Path.Combine(dir, "high.jsonl");
        var r = SkaldProcess.RunWith(null, off, "encode", "--model", model, "--input", input, "--output", highest);
        Assert.True(r.ExitCode == 0, r.Stderr);
        r = SkaldProcess.RunWith(null, off, "encode", "--model", model, "--input", input, "--output", high, "--float32-matmul", "high");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Single(r.Stderr.Split('\n'), l => l.Contains("--float32-matmul high: this CPU has no usable AMX-BF16; products stay float32"));
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.Equal(File.ReadAllText(highest), File.ReadAllText(high));
    }

    [Fact]
    public void AnUnknownValueIsRefusedInOneLine()
    {
        string dir = TestPaths.NewTempDir(), input = Texts(dir);
        var r = InProcessSkald.Capture("encode", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--input", input,
            "--output", Path.Combine(dir, "out.jsonl"), "--float32-matmul", "medium");
        SkaldProcess.AssertUserError(r, 2, "--float32-matmul", "medium");
        Assert.False(File.Exists(Path.Combine(dir, "out.jsonl")));
    }
}
