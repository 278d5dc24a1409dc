using Skald.Models;
using Skald.Tensors.Gemm;
using Skald.Training.Output;

namespace Skald.Training.Tests.Output;

/// <summary>
/// Saving a packed-only model (<see cref="SentenceEncoder.KeepPackedOnly"/>) reads each Linear weight's values back out
/// of the GEMM's panels: the same files, byte for byte, as saving the model that kept its float32 values, and the saved
/// folder encodes as the source did.
/// </summary>
public sealed class PackedOnlySaveTests
{
    private static readonly string[] Texts =
        ["Hvor ligger legekontoret?", "Legekontoret ligger i sentrum.", "Det regner i Bergen i dag.", "Var ligger stationen?"];

    private readonly string dir = InfraPaths.NewTempDir();

    [Theory]
    [InlineData("bert-cased-mean")]
    [InlineData("decoder-qwen2")]
    [InlineData("decoder-gpt2")] // Conv1D weights written back [in, out] (StoredLayout) and read transposed again
    public void APackedOnlyModelSavesTheSameBytesAsItsFloat32Self(string fixture)
    {
        if (Blas.Backend is not ManagedGemm) return; // nothing is released on other backends
        string source = InfraPaths.FixtureModel(fixture);
        var float32 = SentenceEncoder.Load(source);
        var packedOnly = SentenceEncoder.Load(source);
        Assert.True(packedOnly.KeepPackedOnly() > 0);
        string a = Path.Combine(dir, "a"), b = Path.Combine(dir, "b");
        ModelSaver.Save(float32, a);
        ModelSaver.Save(packedOnly, b);
        Assert.Equal(File.ReadAllBytes(Path.Combine(a, "model.safetensors")), File.ReadAllBytes(Path.Combine(b, "model.safetensors")));
        var expected = float32.Encode(Texts);
        Assert.Equal(expected, SentenceEncoder.Load(b).Encode(Texts));
        Assert.Equal(expected, packedOnly.Encode(Texts)); // still encoding after the save
    }
}
