namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald info</c> of a folder <c>skald quantize</c> wrote says its Linear weights are int8 (the F journey: an ML
/// engineer checking the model they were about to publish read "weight memory: 0.1 MiB (float32; 0.0 MiB with --weights
/// bf16)" of an int8 folder, as if the quantization had not been kept).
/// </summary>
public sealed class InfoInt8FolderTests
{
    [Fact]
    public void AnInt8FolderIsDescribedAsInt8()
    {
        string model = TestPaths.FixtureModel("bert-cased-mean"), folder = Path.Combine(TestPaths.NewTempDir(), "int8");
        var r = InProcessSkald.Capture("quantize", "--model", model, "--output", folder);
        if (r.ExitCode != 0 && r.Stderr.Contains("neither AVX-VNNI nor AVX2")) return; // no int8 kernels here
        Assert.True(r.ExitCode == 0, r.Stderr);
        var info = InProcessSkald.Capture("info", "--model", folder);
        Assert.True(info.ExitCode == 0, info.Stderr);
        // 44,864 parameters: 179,456 bytes in float32 (0.17 MiB); the 16,384 values of the 12 Linear weights in int8, one
        // byte each and 8 a row for their 448 rows, and the other 28,480 in float32: 133,888 bytes (0.13 MiB).
        Assert.Contains("weight memory:    0.1 MiB (int8 Linear weights (quantization_config.json), float32 embeddings, norms and biases; float32 would take 0.2 MiB)",
            info.Stdout);
        var f32 = InProcessSkald.Capture("info", "--model", model);
        Assert.Contains("weight memory:    0.2 MiB (float32; 0.1 MiB with --weights bf16)", f32.Stdout);
    }
}
