using Skald.Tensors;
using Skald.Tensors.Kernels;

namespace Skald.Models.Tests.Architectures;

/// <summary>
/// Models loaded with IEEE float16 weights in memory (<see cref="WeightPrecision.Float16"/>) against the same model in
/// float32 with its 2-D weights rounded to float16: the same numbers within 1e-6 relative. For the F16 checkpoint the
/// rounding is a no-op (the float32 run is the plain load) and the float16 parameters hold the stored bits exactly.
/// </summary>
public sealed class F16WeightsTests
{
    public static TheoryData<string> Folders => ["xlmr-cls-f16", "decoder-qwen2", "decoder-llama3-bf16", "bert-cased-mean"];

    private static string[] Texts() => [.. File.ReadLines(Path.Combine(TestPaths.FixtureModel(""), "texts.txt")).Where(l => l.Length > 0).Take(12)];

    [Theory]
    [MemberData(nameof(Folders))]
    public void F16InMemoryEncodesAsFloat32OnRoundedWeights(string name)
    {
        string folder = TestPaths.FixtureModel(name);
        var f32 = SentenceEncoder.Load(folder);
        int changed = RoundMatrices(f32);
        if (name.EndsWith("-f16", StringComparison.Ordinal)) Assert.Equal(0, changed); // stored as F16: exact already
        var f16 = SentenceEncoder.Load(folder, precision: WeightPrecision.Float16);
        Assert.Equal(WeightPrecision.Float16, f16.WeightPrecision);
        Assert.All(f16.Transformer.Parameters, p => Assert.Equal(p.Shape.Length == 2, p.Precision == WeightPrecision.Float16));
        long matrixValues = f16.Transformer.Parameters.Where(p => p.Shape.Length == 2).Sum(p => (long)p.Length);
        Assert.Equal(f32.WeightBytes - 2 * matrixValues, f16.WeightBytes); // the matrices take half
        Assert.True(f16.WeightBytes < 0.6 * f32.WeightBytes, $"{f16.WeightBytes} vs {f32.WeightBytes}");
        var byName = f32.Parameters.ToDictionary(p => p.Name);
        foreach (var p in f16.Parameters.Where(p => p.Precision == WeightPrecision.Float16))
        {
            var wide = new float[p.Length];
            F16.ToSingle(p.Bits16.Span, wide);
            Assert.Equal(byName[p.Name].Data.ToArray(), wide);
        }

        var texts = Texts();
        var options = new EncodeOptions { BatchSize = 5 };
        var expected = f32.Encode(texts, options);
        var actual = f16.Encode(texts, options);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(expected[i].Length, actual[i].Length);
            float scale = expected[i].Max(MathF.Abs);
            for (int j = 0; j < expected[i].Length; j++)
                Assert.True(Math.Abs(expected[i][j] - actual[i][j]) <= 1e-6 * scale, $"{name} text {i}[{j}]: {expected[i][j]:R} vs {actual[i][j]:R}");
        }
    }

    /// <summary>Rounds every 2-D float32 parameter to float16 in place; returns how many values changed.</summary>
    private static int RoundMatrices(SentenceEncoder model)
    {
        int changed = 0;
        foreach (var p in model.Transformer.Parameters.Where(p => p.Shape.Length == 2))
        {
            var v = p.Data.Span;
            for (int i = 0; i < v.Length; i++)
            {
                float r = F16.ToSingle(F16.FromSingle(v[i]));
                if (r != v[i]) changed++;
                v[i] = r;
            }
        }
        return changed;
    }
}
