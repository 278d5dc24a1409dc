using Skald.Tensors.Autograd;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests.Autograd;

/// <summary>
/// LoRA on an int8 base: a recording pass multiplies an int8-only weight (<see cref="Parameter.IsInt8Only"/>) by its
/// dequantised values, so output, input gradient and the adapters' gradients equal those of the same adapters on a
/// float32 weight holding <see cref="Int8Matrix.Dequantize"/>'s values (the independent reference), for a plain weight
/// and for a part of a stacked int8 whole; the int8 weight itself stays frozen.
/// </summary>
public sealed class Int8LoraTests
{
    private const int N = 6, In = 20, Rank = 3;

    private static Parameter Filled(string name, int[] shape, Random rng, float scale)
    {
        var p = new Parameter(name, new float[shape.Aggregate(1, (a, d) => a * d)], shape, true);
        var s = p.Data.Span;
        for (int i = 0; i < s.Length; i++) s[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return p;
    }

    private static LoraAdapter Adapter(int outRows, int seed)
    {
        var rng = new Random(seed);
        return new LoraAdapter(Filled("a", [Rank, In], rng, 0.5f), Filled("b", [outRows, Rank], rng, 0.5f), scale: 1.5f, dropout: 0f);
    }

    private static (float[] Y, float[] Dx, float[] DA, float[] DB) Step(Parameter weight, Parameter lorad, LoraAdapter lora)
    {
        lorad.Lora = lora;
        var tape = new Tape();
        var rng = new Random(11);
        var xs = new float[N * In];
        for (int i = 0; i < xs.Length; i++) xs[i] = (float)(rng.NextDouble() * 2 - 1);
        var x = tape.Constant(xs, N, In, requiresGrad: true);
        var y = Ops.Linear(tape, x, weight, null);
        var seed = new float[y.Length];
        for (int i = 0; i < seed.Length; i++) seed[i] = (float)Math.Sin(i + 1);
        tape.Seed(y, seed);
        var yv = y.Span.ToArray();
        tape.Backward();
        return (yv, x.Grad.ToArray(), lora.A.Grad.ToArray(), lora.B.Grad.ToArray());
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 + 1e-5 * Math.Abs(expected[i]), $"{what}[{i}]: {actual[i]} vs {expected[i]}");
    }

    [Fact]
    public void LoraOnAnInt8WeightTrainsAsOnItsDequantisedValues()
    {
        var w = Filled("w", [N, In], new Random(1), 1f);
        var form = Int8Matrix.Quantize(w.Data.Span, N, In);
        var int8 = new Parameter("w", form, true);
        var reference = new Parameter("w", form.Dequantize(), [N, In], true) { RequiresGrad = false };

        var expected = Step(reference, reference, Adapter(N, 2));
        var actual = Step(int8, int8, Adapter(N, 2));
        AssertClose(expected.Y, actual.Y, "y");
        AssertClose(expected.Dx, actual.Dx, "dx");
        AssertClose(expected.DA, actual.DA, "dA");
        AssertClose(expected.DB, actual.DB, "dB");
        Assert.True(int8.IsInt8Only);
        Assert.False(int8.RequiresGrad);
        Assert.Throws<InvalidOperationException>(() => int8.Grad);
    }

    [Fact]
    public void LoraOnAPartOfAStackedInt8WeightTrainsAsOnItsDequantisedRows()
    {
        // q, k, v of 6, 4 and 4 rows stacked; the adapter sits on k (rows 6–9).
        var rng = new Random(3);
        int[] rows = [6, 4, 4];
        var forms = rows.Select((r, i) => Int8Matrix.Quantize(Filled($"p{i}", [r, In], rng, 1f).Data.Span, r, In)).ToArray();
        var whole = Int8Matrix.Concat(forms);
        var (int8Whole, int8Parts) = Parameter.StackInt8("qkv", [("q", [6, In]), ("k", [4, In]), ("v", [4, In])], true, whole);
        var (refWhole, refParts) = Parameter.Stack("qkv", [("q", [6, In]), ("k", [4, In]), ("v", [4, In])], true);
        whole.Dequantize().CopyTo(refWhole.Data.Span);
        refWhole.RequiresGrad = false;

        var expected = Step(refWhole, refParts[1], Adapter(4, 5));
        var actual = Step(int8Whole, int8Parts[1], Adapter(4, 5));
        AssertClose(expected.Y, actual.Y, "y");
        AssertClose(expected.Dx, actual.Dx, "dx");
        AssertClose(expected.DA, actual.DA, "dA");
        AssertClose(expected.DB, actual.DB, "dB");
    }

    [Fact]
    public void DequantisedRowsAreScaleTimesTheStoredValues()
    {
        var w = Filled("w", [N, In], new Random(4), 2f);
        var form = Int8Matrix.Quantize(w.Data.Span, N, In);
        var q = new sbyte[In];
        var rows = new float[2 * In];
        form.DequantizeRows(3, 2, rows);
        for (int j = 0; j < 2; j++)
        {
            form.CopyRow(3 + j, q);
            for (int c = 0; c < In; c++) Assert.Equal(form.Scales[3 + j] * q[c], rows[j * In + c]);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => form.DequantizeRows(5, 2, rows));
    }
}
