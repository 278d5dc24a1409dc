using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald encode</c> on a DistilBERT sentence-transformers folder shaped like distiluse-base-multilingual-cased-v2
/// (fixtures/models/distiluse-tiny: mean pooling, Dense tanh): the reference's embeddings, and with
/// <c>--quantize int8</c> embeddings within cosine 0.99 of them.
/// </summary>
public sealed class EncodeDistilBertTests
{
    [Fact]
    public void EncodeMatchesTheReferenceAndInt8IsClose()
    {
        string model = TestPaths.FixtureModel("distiluse-tiny");
        var rows = File.ReadLines(Path.Combine(model, "expected_st.jsonl")).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "texts.jsonl"), output = Path.Combine(dir, "out.jsonl"), int8 = Path.Combine(dir, "int8.jsonl");
        File.WriteAllLines(input, rows.Select(r => JsonSerializer.Serialize(new { text = r.GetProperty("text").GetString() })));
        var r = InProcessSkald.Capture("encode", "--model", model, "--input", input, "--output", output, "--batch-size", "3");
        Assert.True(r.ExitCode == 0, r.Stderr);
        r = InProcessSkald.Capture("encode", "--model", model, "--input", input, "--output", int8, "--quantize", "int8");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = File.ReadAllLines(output);
        var quantized = File.ReadAllLines(int8);
        Assert.Equal(rows.Count, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            var expected = rows[i].GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray();
            var actual = JsonSerializer.Deserialize<float[]>(lines[i])!;
            Assert.Equal(24, actual.Length);
            for (int j = 0; j < actual.Length; j++) Assert.True(MathF.Abs(actual[j] - expected[j]) <= 1e-5f, $"line {i + 1} component {j}");
            double cosine = global::Skald.Tests.TestVectors.Cosine(expected, JsonSerializer.Deserialize<float[]>(quantized[i])!);
            Assert.True(cosine >= 0.99, $"int8 line {i + 1}: cosine {cosine}");
        }
    }
}
