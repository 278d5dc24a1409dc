using Skald.Models.Adapters;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;

namespace Skald.Models.Tests.Architectures;

/// <summary>
/// Models loaded with bfloat16 weights in memory (<see cref="WeightPrecision.BFloat16"/>) against the same model loaded
/// in float32 with its 2-D weights rounded to bfloat16: the same numbers within 1e-5 (for the BF16 checkpoints the
/// rounding is a no-op, so the float32 run is the plain load).
/// </summary>
public sealed class Bf16WeightsTests
{
    private const float Tolerance = 1e-5f;

    public static TheoryData<string> Folders =>
        ["decoder-llama3-bf16", "bert-bf16", "decoder-qwen2", "decoder-gemma2", "decoder-qwen3", "xlmr-cls-f16"];

    private static string[] Texts() => [.. File.ReadLines(Path.Combine(TestPaths.FixtureModel(""), "texts.txt")).Where(l => l.Length > 0).Take(12)];

    [Theory]
    [MemberData(nameof(Folders))]
    public void Bf16InMemoryEncodesAsFloat32OnRoundedWeights(string name)
    {
        string folder = TestPaths.FixtureModel(name);
        var f32 = SentenceEncoder.Load(folder);
        int changed = RoundMatrices(f32);
        if (name.EndsWith("-bf16", StringComparison.Ordinal)) Assert.Equal(0, changed); // stored as BF16: exact already
        var bf16 = SentenceEncoder.Load(folder, precision: WeightPrecision.BFloat16);
        Assert.Equal(WeightPrecision.BFloat16, bf16.WeightPrecision);
        Assert.Equal(WeightPrecision.Float32, f32.WeightPrecision);
        long matrixValues = bf16.Transformer.Parameters.Where(p => p.Shape.Length == 2).Sum(p => (long)p.Length);
        Assert.Equal(f32.WeightBytes - 2 * matrixValues, bf16.WeightBytes);
        Assert.True(bf16.WeightBytes < 0.6 * f32.WeightBytes, $"{bf16.WeightBytes} vs {f32.WeightBytes}");

        var texts = Texts();
        var options = new EncodeOptions { BatchSize = 5 };
        var expected = f32.Encode(texts, options);
        var actual = bf16.Encode(texts, options);
        for (int i = 0; i < texts.Length; i++) AssertClose(expected[i], actual[i], 0, Tolerance, $"{name} text {i}");
        // A second pass reuses the tape: same result.
        var again = bf16.Encode(texts, options);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(actual[i], again[i]);
    }

    [Fact]
    public void AdaptersMergeInFloat32ThenRound()
    {
        string folder = TestPaths.FixtureModel("decoder-llama3-bf16");
        string adapter = Path.Combine(Path.GetTempPath(), $"skald-bf16-adapter-{Environment.ProcessId}");
        try
        {
            var donor = SentenceEncoder.Load(folder);
            var config = new LoraConfig { R = 4, Alpha = 8, TargetModules = ["q_proj", "down_proj"] };
            var adapters = PeftAdapters.Attach(donor.Parameters, config, new SkaldRandom(7));
            var rng = new Random(3);
            foreach (var a in adapters)
            {
                var b = a.B.Data.Span;
                for (int i = 0; i < b.Length; i++) b[i] = (float)(rng.NextDouble() - 0.5) * 0.2f;
            }
            PeftAdapters.Save(adapter, donor.Parameters, config);

            var f32 = SentenceEncoder.Load(folder, [adapter]);
            Assert.True(RoundMatrices(f32) > 0); // the merge left float32 values that are not bfloat16
            var bf16 = SentenceEncoder.Load(folder, [adapter], WeightPrecision.BFloat16);
            var byName = f32.Parameters.ToDictionary(p => p.Name);
            foreach (var p in bf16.Parameters.Where(p => p.Precision == WeightPrecision.BFloat16))
            {
                var wide = new float[p.Length];
                Bf16.ToSingle(p.BFloat16Data.Span, wide);
                Assert.Equal(byName[p.Name].Data.ToArray(), wide);
            }
            var texts = Texts();
            var expected = f32.Encode(texts);
            var actual = bf16.Encode(texts);
            for (int i = 0; i < texts.Length; i++) AssertClose(expected[i], actual[i], 0, Tolerance, $"text {i}");
        }
        finally
        {
            if (Directory.Exists(adapter)) Directory.Delete(adapter, true);
        }
    }

    [Fact]
    public void Bf16ModelsAreFrozenOnARecordingTape()
    {
        var bf16 = SentenceEncoder.Load(TestPaths.FixtureModel("decoder-llama3-bf16"), precision: WeightPrecision.BFloat16);
        var tape = new Tape(); // recording: runs, the 16-bit weights get no gradient
        var tokens = Skald.Models.Architectures.TokenBatch.Pad(bf16.Tokenize(["hello"]), bf16.PadId, bf16.PaddingSide);
        bf16.Forward(tape, tokens);
        Assert.All(bf16.Transformer.Parameters, p => Assert.Equal(p.Shape.Length == 2, p.Precision == WeightPrecision.BFloat16));
        Assert.All(bf16.Transformer.Parameters.Where(p => p.Shape.Length == 2), p => Assert.False(p.RequiresGrad));
    }

    private static void AssertClose(float[] expected, float[] actual, double rtol, double atol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double tol = atol + rtol * Math.Abs(expected[i]);
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol, $"{what}[{i}]: {expected[i]:R} vs {actual[i]:R}");
        }
    }

    /// <summary>Rounds every 2-D float32 parameter to bfloat16 in place; returns how many values changed.</summary>
    private static int RoundMatrices(SentenceEncoder model)
    {
        int changed = 0;
        foreach (var p in model.Transformer.Parameters.Where(p => p.Shape.Length == 2))
        {
            var v = p.Data.Span;
            for (int i = 0; i < v.Length; i++)
            {
                float r = Bf16.ToSingle(Bf16.FromSingle(v[i]));
                if (r != v[i]) changed++;
                v[i] = r;
            }
        }
        return changed;
    }
}
