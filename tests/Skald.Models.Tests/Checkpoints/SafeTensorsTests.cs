using System.Text;
using Skald.Models.Checkpoints;

namespace Skald.Models.Tests.Checkpoints;

public sealed class SafeTensorsTests
{
    private static readonly float[] Values = [1f, -2.5f, 3.1415927f, 1e-3f, 65504f, -0.0001f];

    [Theory]
    [InlineData(SafeTensorsDType.F32)]
    [InlineData(SafeTensorsDType.F16)]
    [InlineData(SafeTensorsDType.BF16)]
    public void RoundTripsEachDType(SafeTensorsDType dtype)
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "m.safetensors");
        SafeTensorsWriter.Write(path, [new TensorToWrite("a.weight", [2, 3], Values)], dtype);
        using var f = SafeTensorsFile.Open(path);
        Assert.Equal(dtype, f.Tensors["a.weight"].DType);
        Assert.Equal([2, 3], f.Tensors["a.weight"].Shape);
        var back = f.ReadFloat32("a.weight");
        for (int i = 0; i < Values.Length; i++)
        {
            // Independent expectations: .NET's Half cast for F16; bfloat16 keeps the top 16 bits (round to nearest even).
            float expected = dtype switch
            {
                SafeTensorsDType.F32 => Values[i],
                SafeTensorsDType.F16 => (float)(Half)Values[i],
                _ => BFloat16RoundTrip(Values[i]),
            };
            Assert.Equal(expected, back[i]);
        }
    }

    [Fact]
    public void DataSectionIsEightByteAligned()
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "m.safetensors");
        SafeTensorsWriter.Write(path, [new TensorToWrite("x", [1], [1f])]);
        var bytes = File.ReadAllBytes(path);
        ulong n = BitConverter.ToUInt64(bytes, 0);
        Assert.Equal(0UL, (8 + n) % 8);
    }

    [Fact]
    public void TooShortFileIsRejected()
    {
        string path = Write([1, 2, 3]);
        var e = Assert.Throws<ModelFormatException>(() => SafeTensorsFile.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("header length is missing", e.Message);
    }

    [Fact]
    public void HeaderLengthPastEndIsRejected()
    {
        var bytes = new byte[16];
        BitConverter.GetBytes(1000UL).CopyTo(bytes, 0);
        string path = Write(bytes);
        var e = Assert.Throws<ModelFormatException>(() => SafeTensorsFile.Open(path));
        Assert.Contains("runs past the end of the file", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void InvalidJsonHeaderIsRejected()
    {
        var e = Assert.Throws<ModelFormatException>(() => SafeTensorsFile.Open(WithHeader("{not json", 0)));
        Assert.Contains("invalid JSON", e.Message);
    }

    [Fact]
    public void UnknownDTypeIsNamed()
    {
        string header = """{"w":{"dtype":"F8_E9","shape":[2],"data_offsets":[0,2]}}""";
        var e = Assert.Throws<ModelFormatException>(() => SafeTensorsFile.Open(WithHeader(header, 2)));
        Assert.Contains("unknown dtype \"F8_E9\"", e.Message);
        Assert.Contains("\"w\"", e.Message);
    }

    [Fact]
    public void OffsetsOutOfRangeAreRejected()
    {
        string header = """{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""";
        var e = Assert.Throws<ModelFormatException>(() => SafeTensorsFile.Open(WithHeader(header, 8)));
        Assert.Contains("out of range", e.Message);
    }

    [Fact]
    public void OverlappingTensorsAreRejected()
    {
        string header = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""";
        var e = Assert.Throws<ModelFormatException>(() => SafeTensorsFile.Open(WithHeader(header, 12)));
        Assert.Contains("overlap", e.Message);
    }

    [Fact]
    public void ShapeSizeMismatchIsRejected()
    {
        string header = """{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""";
        var e = Assert.Throws<ModelFormatException>(() => SafeTensorsFile.Open(WithHeader(header, 8)));
        Assert.Contains("needs 12 bytes", e.Message);
    }

    [Fact]
    public void NonFloatTensorsAreListedButNotReadAsWeights()
    {
        // Old BERT checkpoints keep an I64 position_ids buffer; it must not stop loading.
        string header = """{"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}""";
        using var f = SafeTensorsFile.Open(WithHeader(header, 16));
        var e = Assert.Throws<ModelFormatException>(() => f.ReadFloat32("ids"));
        Assert.Contains("I64", e.Message);
    }

    [Fact]
    public void CheckpointStripsPrefixesAndChecksShapes()
    {
        string dir = TestPaths.NewTempDir();
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"),
            [new TensorToWrite("bert.embeddings.x", [2], [1f, 2f]), new TensorToWrite("cls.y", [1], [3f])]);
        using var c = Checkpoint.OpenFolder(dir, "bert.");
        Assert.Equal([1f, 2f], c.Read("embeddings.x", 2));
        Assert.True(c.Contains("cls.y"));
        var e = Assert.Throws<ModelFormatException>(() => c.Read("embeddings.x", 3));
        Assert.Contains("has shape [2], the config says [3]", e.Message);
        Assert.Contains("missing tensor \"nope\"", Assert.Throws<ModelFormatException>(() => c.Read("nope", 1)).Message);
    }

    [Fact]
    public void ShardedCheckpointIsJoined()
    {
        string dir = TestPaths.NewTempDir();
        SafeTensorsWriter.Write(Path.Combine(dir, "model-00001-of-00002.safetensors"), [new TensorToWrite("a", [1], [1f])]);
        SafeTensorsWriter.Write(Path.Combine(dir, "model-00002-of-00002.safetensors"), [new TensorToWrite("b", [1], [2f])], SafeTensorsDType.BF16);
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"),
            """{"metadata":{"total_size":6},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}}""");
        using var c = Checkpoint.OpenFolder(dir);
        Assert.Equal([1f], c.Read("a", 1));
        Assert.Equal([2f], c.Read("b", 1));
    }

    [Fact]
    public void MissingShardIsNamed()
    {
        string dir = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"), """{"weight_map":{"a":"gone.safetensors"}}""");
        var e = Assert.Throws<ModelFormatException>(() => Checkpoint.OpenFolder(dir));
        Assert.Contains("gone.safetensors is missing", e.Message);
    }

    [Fact]
    public void ALegacyPickleOnlyFolderSaysHowToConvert()
    {
        string dir = TestPaths.NewTempDir();
        File.WriteAllBytes(Path.Combine(dir, "pytorch_model.bin"), [0x80, 0x02]);
        var e = Assert.Throws<ModelFormatException>(() => Checkpoint.OpenFolder(dir));
        Assert.Contains("a legacy torch.save file (pickle, PyTorch < 1.6)", e.Message);
        Assert.Contains("torch.save(torch.load(path, weights_only=True), path)", e.Message);
    }

    private static float BFloat16RoundTrip(float x)
    {
        // Round to nearest even on the dropped 16 bits, computed with decimal arithmetic on the bit pattern.
        uint bits = BitConverter.SingleToUInt32Bits(x);
        uint upper = bits >> 16, lower = bits & 0xFFFF;
        if (lower > 0x8000 || (lower == 0x8000 && (upper & 1) == 1)) upper++;
        return BitConverter.UInt32BitsToSingle(upper << 16);
    }

    private static string Write(byte[] bytes)
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "bad.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string WithHeader(string json, int dataBytes)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + dataBytes];
        BitConverter.GetBytes((ulong)header.Length).CopyTo(bytes, 0);
        header.CopyTo(bytes, 8);
        return Write(bytes);
    }
}

public sealed class BadFixtureTests
{
    public static TheoryData<string, string> BadFiles => new()
    {
        { "header_past_eof.safetensors", "runs past the end of the file" },
        { "invalid_json.safetensors", "invalid JSON" },
        { "offsets_out_of_range.safetensors", "out of range" },
        { "overlapping_offsets.safetensors", "overlap" },
        { "shape_size_mismatch.safetensors", "bytes but data_offsets span" },
        { "truncated.safetensors", "header length is missing" },
        { "unknown_dtype.safetensors", "unknown dtype" },
    };

    /// <summary>The corrupt files written by fixtures/models/make_models.py (Python) are refused with the right reason.</summary>
    [Theory]
    [MemberData(nameof(BadFiles))]
    public void PythonWrittenCorruptFilesAreRefused(string file, string reason)
    {
        string path = Path.Combine(TestPaths.FixtureModel("bad"), file);
        var e = Assert.Throws<ModelFormatException>(() => Skald.Models.Checkpoints.SafeTensorsFile.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void PythonWrittenControlFileOpens()
    {
        using var f = Skald.Models.Checkpoints.SafeTensorsFile.Open(Path.Combine(TestPaths.FixtureModel("bad"), "ok_control.safetensors"));
        Assert.NotEmpty(f.Tensors);
    }
}
