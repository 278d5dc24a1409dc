using Skald.Models.Checkpoints;

namespace Skald.Models.Tests.Checkpoints;

/// <summary>
/// <see cref="TorchStateDictWriter"/> writes the very bytes torch 1.13's <c>torch.save</c> wrote for the same state dicts
/// (<c>fixtures/models/make_torch_write.py</c>: the values come from formulas both sides compute on their own), so
/// Python's <c>torch.load</c> reads what Skald writes; and Skald's own torch reader reads it back to the same values.
/// </summary>
public sealed class TorchStateDictWriterTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("skald-torch-write-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static float[] Pattern(int n) => [.. Enumerable.Range(0, n).Select(i => ((i * 37) % 101 - 50) / 64f)];

    private static float[] Tenths(int n) => [.. Enumerable.Range(0, n).Select(i => i * 0.1f)];

    private static (SafeTensorsDType DType, TensorToWrite[] Tensors) StateDict(string name) => name switch
    {
        "f32" => (SafeTensorsDType.F32,
        [
            new("linear.weight", [2, 3], Pattern(6)),
            new("linear.bias", [1], Pattern(1)),
            new("scalar", [], [2.5f]),
            new("wide", [1, 300], Tenths(300)),
            new("ids", [4], [0L, 300L, -5L, 70000L]),
        ]),
        "f16" => (SafeTensorsDType.F16, [new("half", [65540], Tenths(65540)), new("small", [2, 2], Pattern(4))]),
        "bf16" => (SafeTensorsDType.BF16, [new("brain", [4, 5], Tenths(20)), new("colbert.weight", [3, 4], Pattern(12))]),
        "many" => (SafeTensorsDType.F32, [.. Enumerable.Range(0, 120).Select(i => new TensorToWrite($"layer.{i}.scale", [1], [i / 8f]))]),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [InlineData("f32")]
    [InlineData("f16")]
    [InlineData("bf16")]
    [InlineData("many")]
    public void TheFileEqualsTorchSaveByteForByte(string name)
    {
        var (dtype, tensors) = StateDict(name);
        string path = Path.Combine(dir, name + ".pt"); // the archive's folder is named after the file, as torch names it
        TorchStateDictWriter.Write(path, tensors, dtype);
        byte[] expected = File.ReadAllBytes(Path.Combine(TestPaths.FixtureModel("torch-write"), name + ".pt"));
        byte[] actual = File.ReadAllBytes(path);
        int first = Enumerable.Range(0, Math.Min(expected.Length, actual.Length)).FirstOrDefault(i => expected[i] != actual[i], -1);
        Assert.True(first < 0 && expected.Length == actual.Length,
            $"{name}.pt: {actual.Length} bytes against torch's {expected.Length}, first difference at byte {first}");
    }

    [Fact]
    public void SkaldsTorchReaderReadsTheWrittenValuesBack()
    {
        var (dtype, tensors) = StateDict("f32");
        string path = Path.Combine(dir, "heads.pt");
        TorchStateDictWriter.Write(path, tensors, dtype);
        using var checkpoint = Checkpoint.OpenFile(path);
        Assert.Equal(Pattern(6), checkpoint.Read("linear.weight", 2, 3));
        Assert.Equal(Pattern(1), checkpoint.Read("linear.bias", 1));
        Assert.Empty(checkpoint.Shape("scalar"));
        Assert.Equal(Tenths(300), checkpoint.Read("wide", 1, 300));
        Assert.Equal(SafeTensorsDType.I64, checkpoint.DType("ids"));

        var (bf16Type, bf16) = StateDict("bf16");
        string bf16Path = Path.Combine(dir, "brain.pt");
        TorchStateDictWriter.Write(bf16Path, bf16, bf16Type);
        using var brain = Checkpoint.OpenFile(bf16Path);
        Assert.Equal(SafeTensorsDType.BF16, brain.DType("brain"));
        Assert.Equal(Pattern(12), brain.Read("colbert.weight", 3, 4)); // exact in bfloat16
    }

    [Fact]
    public void AShapeThatDoesNotHoldTheDataIsRefusedAndNothingIsWritten()
    {
        string path = Path.Combine(dir, "bad.pt");
        var e = Assert.Throws<ArgumentException>(() => TorchStateDictWriter.Write(path, [new TensorToWrite("w", [2, 2], Pattern(3))]));
        Assert.Contains("tensor w: shape [2, 2] holds 4 values, data has 3", e.Message);
        Assert.Empty(Directory.GetFiles(dir));
    }
}
