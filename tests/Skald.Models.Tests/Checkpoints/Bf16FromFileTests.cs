using System.Security.Cryptography;
using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Tensors.Autograd;
using Skald.Tensors.Quantization;
using Skald.Tests;

namespace Skald.Models.Tests.Checkpoints;

/// <summary>
/// A 16-bit checkpoint's matrices left in their file are packed into bfloat16 panels straight from the file's values
/// (<see cref="Bf16Matrix.FromFile"/>, what <c>--quantize bf16</c> does), with no float32 copy of a weight: the panels
/// hold PyTorch's <c>t.float().bfloat16()</c> of every matrix (bfloat16 bits as stored, float16 rounded to nearest even
/// through float32; <c>fixtures/quantization/make_bf16_from_file.py</c>) and equal those rounded from the float32 values
/// read at load bit for bit, a bf16-only model encodes bit for bit as one whose panels were rounded from float32, and
/// packing a weight allocates its panels and nothing of the weight's size beside them.
/// </summary>
public sealed class Bf16FromFileTests
{
    private static readonly JsonElement Reference = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(TestPaths.Fixtures, "quantization", "bf16_from_file.json"))).RootElement;

    private static readonly string[] Texts = [.. File.ReadLines(Path.Combine(TestPaths.FixtureModel(""), "texts.txt")).Where(t => t.Length > 0).Take(8)];

    private static List<Parameter> Matrices(ITransformer model) =>
        [.. model.Parameters.Where(p => p.Shape.Length == 2 && p.IsFileBacked && !p.IsTable)];

    private static byte[] RowMajorBits(Bf16Matrix m)
    {
        var bits = new ushort[(long)m.N * m.K];
        for (int j = 0; j < m.N; j++) m.CopyRow(j, bits.AsSpan(j * m.K, m.K));
        return System.Runtime.InteropServices.MemoryMarshal.AsBytes(bits.AsSpan()).ToArray();
    }

    [Theory]
    [InlineData("bert-bf16")]
    [InlineData("xlmr-cls-f16")]
    [InlineData("decoder-llama3-bf16")]
    public void ThePanelsPackedFromTheFileHoldTorchsBfloat16OfEveryMatrix(string fixture)
    {
        var expected = Reference.GetProperty(fixture);
        var model = ArchitectureRegistry.Load(TestPaths.FixtureModel(fixture));
        var matrices = Matrices(model);
        Assert.True(matrices.Count >= 6, $"{fixture}: {matrices.Count} matrices left in the file");
        foreach (var p in matrices)
        {
            var key = expected.EnumerateObject().Single(e => e.Name == p.Name || e.Name.EndsWith("." + p.Name, StringComparison.Ordinal));
            var panels = p.Bf16FromFile()!;
            Assert.Equal(key.Value.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(RowMajorBits(panels))));
            var widened = new float[p.Length];
            p.Widen(0, widened); // the float32 path: the file's values widened exactly, then rounded
            Assert.Equal(Bf16Matrix.FromSingle(widened, p.Shape[0], p.Shape[1]).Packed, panels.Packed);
            Assert.True(p.IsFileBacked, $"{p.Name} was copied into memory");
        }
        if (fixture.EndsWith("f16", StringComparison.Ordinal) && !fixture.EndsWith("bf16", StringComparison.Ordinal))
            Assert.True(expected.EnumerateObject().Sum(e => e.Value.GetProperty("ties").GetInt32()) > 100, "the float16 fixture has ties to round");
    }

    [Theory]
    [InlineData("bert-bf16")]
    [InlineData("xlmr-cls-f16")]
    public void Bf16OnlyFromTheFileEncodesBitForBitAsPanelsRoundedFromFloat32(string fixture)
    {
        if (!Bf16Gemm.IsSupported) return; // no bfloat16 GEMM on this CPU: KeepBf16Only keeps the model as it is
        using var fromFloat32 = SentenceEncoder.Load(TestPaths.FixtureModel(fixture));
        foreach (var p in fromFloat32.Parameters.Where(p => p.Shape.Length == 2 && p.IsFileBacked && !p.IsTable)) _ = p.Data; // read into memory as float32
        fromFloat32.ComputeBf16 = true;
        var expected = fromFloat32.Encode(Texts);

        using var fromFile = SentenceEncoder.Load(TestPaths.FixtureModel(fixture));
        Assert.Contains(fromFile.Parameters, p => p.Shape.Length == 2 && p.IsFileBacked && !p.IsTable);
        Assert.True(fromFile.KeepBf16Only() > 0);
        var actual = fromFile.Encode(Texts);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]);
    }

    [Fact]
    public void PackingAWeightFromTheFileAllocatesItsPanelsAndNoFloat32Copy()
    {
        if (!Bf16Gemm.IsSupported) return; // Bf16Weights.For makes no panels on a CPU without AVX512-BF16
        var model = ArchitectureRegistry.Load(TestPaths.FixtureModel("decoder-llama3-bf16"));
        var matrices = Matrices(model).OrderByDescending(p => p.Length).ToList();
        _ = Bf16Weights.For(matrices[^1]); // the first call's one-time costs (JIT, the table's own storage)
        var probe = matrices[0];
        long before = GC.GetAllocatedBytesForCurrentThread();
        var panels = Bf16Weights.For(probe)!;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Bf16Weights.Drop(probe);
        Assert.True(probe.IsFileBacked);
        // The panels and a few objects (a full CI run once saw 1.4 KB of them, with other test classes running beside
        // it); widening the weight to float32 first added 4 bytes a value, 73,728 here, far above the bound.
        Assert.True(allocated < panels.Bytes + 8192, $"{probe.Name} [{probe.Shape[0]}, {probe.Shape[1]}]: {allocated} bytes allocated for {panels.Bytes} of panels");
    }
}
