using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>
/// Reads a safetensors file's F32 tensors into TorchSharp tensors (u64 header length, JSON header
/// {key: {dtype, shape, data_offsets}}, then the data), each read straight into its tensor's storage.
/// </summary>
static class TorchSafetensors
{
    /// <summary>Every tensor of <paramref name="path"/> whose key <paramref name="include"/> accepts, by key.</summary>
    public static Dictionary<string, Tensor> Read(string path, Func<string, bool> include)
    {
        var tensors = new Dictionary<string, Tensor>();
        using var file = File.OpenRead(path);
        var lengthBytes = new byte[8];
        file.ReadExactly(lengthBytes);
        long headerLength = BitConverter.ToInt64(lengthBytes);
        var headerBytes = new byte[headerLength];
        file.ReadExactly(headerBytes);
        using var header = JsonDocument.Parse(headerBytes);
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__" || !include(entry.Name)) continue;
            if (entry.Value.GetProperty("dtype").GetString() != "F32")
                throw new InvalidDataException($"{path}: {entry.Name} is not F32");
            long[] shape = [.. entry.Value.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64())];
            var offsets = entry.Value.GetProperty("data_offsets");
            long start = offsets[0].GetInt64(), end = offsets[1].GetInt64();
            var tensor = torch.empty(shape, dtype: ScalarType.Float32);
            var bytes = tensor.bytes;
            if (bytes.Length != end - start) throw new InvalidDataException($"{path}: {entry.Name} holds {end - start} bytes, its shape {bytes.Length}");
            file.Position = 8 + headerLength + start;
            file.ReadExactly(bytes);
            tensors[entry.Name] = tensor;
        }
        return tensors;
    }
}
