using Skald.Models.Checkpoints;

namespace Skald.Models.Tests.Checkpoints;

/// <summary>
/// torch.save weights (<c>pytorch_model.bin</c>, <c>adapter_model.bin</c>) load through the same tensor table as
/// safetensors, without running anything: fixtures/models/torch-bin/ (make_torch_bin.py) holds torch.save twins of
/// safetensors fixtures, whose embeddings must equal the safetensors folder's bit for bit, and broken or hostile
/// files, each refused in one line naming the file and the defect.
/// </summary>
public sealed class TorchCheckpointTests
{
    private static string Bin(string name) => TestPaths.FixtureModel(Path.Combine("torch-bin", name));

    [Theory]
    [InlineData("bert-uncased-max", "bert-uncased-max")] // F32, bert. prefix, I64 position_ids, 2_Dense/pytorch_model.bin
    [InlineData("xlmr-cls-f16", "xlmr-cls-f16")]         // F16
    [InlineData("bert-bf16", "bert-bf16")]               // BF16
    [InlineData("bert-sharded", "bert-sharded")]         // pytorch_model.bin.index.json
    [InlineData("decoder-qwen2", "decoder-qwen2")]       // tied lm_head, q/k/v views at storage offsets
    public void ATorchSaveTwinEncodesBitForBitAsItsSafetensorsFolder(string twin, string safetensors)
    {
        AssertSameEmbeddings(Bin(twin), TestPaths.FixtureModel(safetensors));
    }

    [Fact]
    public void APeftAdapterSavedAsAdapterModelBinMergesAsItsSafetensorsTwin()
    {
        AssertSameEmbeddings(Bin("adapter-bin"), Bin("adapter-st"));
        // and the adapter changes the model, so the comparison above is not of two unadapted bases
        using var adapted = SentenceEncoder.Load(Bin("adapter-bin"));
        using var plain = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        Assert.NotEqual(plain.Encode("Hei på deg"), adapted.Encode("Hei på deg"));
    }

    [Fact]
    public void TiedWeightsAndViewsReadTheirOwnValues()
    {
        using var bin = Checkpoint.OpenFolder(Bin("decoder-qwen2"));
        using var st = Checkpoint.OpenFolder(TestPaths.FixtureModel("decoder-qwen2"));
        Assert.EndsWith("pytorch_model.bin", bin.Description);
        foreach (string key in st.Keys)
            Assert.Equal(st.Read(key, st.Shape(key)), bin.Read(key, bin.Shape(key)));
        int[] table = st.Shape("model.embed_tokens.weight");
        Assert.Equal(st.Read("model.embed_tokens.weight", table), bin.Read("lm_head.weight", table));
    }

    [Theory]
    [InlineData("ok.bin")]
    [InlineData("ok-zip64-end.bin")] // the end record's fields at their sentinels: read through the zip64 end record
    public void TheControlFileReadsEveryDType(string name)
    {
        using var file = SafeTensorsFile.Open(Path.Combine(Bin("bad"), name));
        Assert.Equal([2, 3], file.Tensors["a"].Shape);
        Assert.Equal([0f, 1, 2, 3, 4, 5], file.ReadFloat32("a"));
        Assert.Equal(SafeTensorsDType.I64, file.Tensors["b"].DType);
        Assert.Equal([0, 1, 2, 3], file.ReadIndices("b", 4));
    }

    [Fact]
    public void SafetensorsArePreferredOverABinBesideThem()
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        File.WriteAllText(Path.Combine(model, "pytorch_model.bin"), "not read");
        using var checkpoint = Checkpoint.OpenFolder(model);
        Assert.EndsWith("model.safetensors", checkpoint.Description);
    }

    [Theory]
    [InlineData("truncated.bin", "no zip end record (the file is truncated)")]
    [InlineData("no-data-pkl.bin", "the zip has no archive/data.pkl")]
    [InlineData("missing-storage.bin", "record archive/data/1 is missing")]
    [InlineData("big-endian.bin", "byteorder \"big\"")]
    [InlineData("compressed.bin", "is compressed (zip method 8)")]
    [InlineData("strided.bin", "tensor \"w\" is not contiguous (shape [4, 3], strides [1, 4])")]
    [InlineData("complex.bin", "tensor \"w\" has dtype torch.complex64")]
    [InlineData("legacy.bin", "a legacy torch.save file")]
    public void ADamagedFileIsRefusedInOneLine(string name, string fragment)
    {
        string path = Path.Combine(Bin("bad"), name);
        var e = Assert.Throws<ModelFormatException>(() => SafeTensorsFile.Open(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(fragment, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("os-system.bin", "os.system", "/tmp/skald-torch-bin-os-system-ran")]
    [InlineData("builtins-eval.bin", "builtins.eval", "/tmp/skald-torch-bin-eval-ran")]
    public void AForbiddenGlobalIsNamedAndNothingRuns(string name, string global, string marker)
    {
        File.Delete(marker);
        string folder = TestPaths.NewTempDir();
        File.Copy(Path.Combine(Bin("bad"), name), Path.Combine(folder, "pytorch_model.bin"));
        var e = Assert.Throws<ModelFormatException>(() => Checkpoint.OpenFolder(folder));
        Assert.Equal(
            $"{Path.Combine(folder, "pytorch_model.bin")}: refused to unpickle the global {global}: a weights-only checkpoint names only OrderedDict, torch's tensor rebuild functions, storage types and dtypes; nothing was run",
            e.Message);
        Assert.False(File.Exists(marker));
    }

    private static void AssertSameEmbeddings(string actualFolder, string expectedFolder)
    {
        string[] texts = [.. File.ReadLines(Path.Combine(TestPaths.FixtureModel(""), "texts.txt")).Take(12)];
        using var actual = SentenceEncoder.Load(actualFolder);
        using var expected = SentenceEncoder.Load(expectedFolder);
        var a = actual.Encode(texts);
        var b = expected.Encode(texts);
        for (int i = 0; i < texts.Length; i++)
            Assert.Equal(b[i].Select(BitConverter.SingleToInt32Bits), a[i].Select(BitConverter.SingleToInt32Bits));
    }
}
