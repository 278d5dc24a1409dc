using System.Text;

namespace Skald.Models.Checkpoints;

/// <summary>
/// The tensor table of a <c>torch.save</c> file (<c>pytorch_model.bin</c>, <c>adapter_model.bin</c>): the zip's
/// <c>data.pkl</c> read by <see cref="WeightsOnlyUnpickler"/> (nothing executed), each tensor placed in its storage
/// record (<c>data/{key}</c>) as an absolute file offset, so that <see cref="SafeTensorsFile"/> maps and reads it as it
/// does a safetensors tensor. Tensors must be dense and contiguous; tensors sharing one storage (tied weights, views)
/// each get their own entry over the same bytes. Refused in one line: the legacy (pre-1.6) format, a big-endian file,
/// a compressed record, a missing record, a strided tensor, a dtype Skald does not read.
/// </summary>
internal static unsafe class TorchStateDict
{
    private static readonly byte[] LegacyMagic = [0x80, 0x02, 0x8a, 0x0a]; // PROTO 2, LONG1 of torch's 10-byte magic number

    /// <summary>
    /// True when <paramref name="path"/> is a torch.save zip; false for anything else that is not named like torch
    /// weights (<c>.bin</c>, <c>.pt</c>, <c>.pth</c>), which is then read as safetensors. A torch-named file that is
    /// not a zip is refused here, the legacy pickle format with how to convert it.
    /// </summary>
    public static bool IsTorchFile(string path)
    {
        Span<byte> head = stackalloc byte[4];
        int got;
        using (var stream = File.OpenRead(path)) got = stream.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        head = head[..got];
        if (TorchZipArchive.IsZip(head)) return true;
        string ext = Path.GetExtension(path).ToLowerInvariant();
        bool torchNamed = ext is ".bin" or ".pt" or ".pth";
        bool legacy = head.SequenceEqual(LegacyMagic) || (torchNamed && got >= 2 && head[0] == 0x80 && head[1] <= 5);
        if (!legacy && !torchNamed) return false;
        throw new ModelFormatException(legacy
            ? $"{path}: a legacy torch.save file (pickle, PyTorch < 1.6); Skald reads the zip format torch.save writes since 1.6. Convert once in Python: torch.save(torch.load(path, weights_only=True), path)"
            : $"{path}: not a torch.save zip file (and not named like safetensors)");
    }

    /// <summary>The tensors of the torch.save zip mapped at <paramref name="file"/> (<paramref name="length"/> bytes), offsets from the file's start.</summary>
    public static Dictionary<string, SafeTensorInfo> Table(string path, byte* file, long length)
    {
        var zip = TorchZipArchive.Open(path, file, length);
        if (!zip.Contains("data.pkl"))
            throw new ModelFormatException($"{path}: not a torch.save file: the zip has no {zip.Prefix}/data.pkl");
        if (zip.Contains("byteorder"))
        {
            string order = Encoding.ASCII.GetString(zip.Bytes("byteorder")).Trim();
            if (order != "little")
                throw new ModelFormatException($"{path}: saved with byteorder \"{order}\"; Skald reads little-endian torch.save files only (load and save it again on a little-endian machine)");
        }
        var records = new Dictionary<string, (long Offset, long Length)>(StringComparer.Ordinal);
        var table = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
        foreach (var (name, tensor) in WeightsOnlyUnpickler.ReadStateDict(path, zip.Bytes("data.pkl")))
        {
            var storage = tensor.Storage;
            if (!records.TryGetValue(storage.Key, out var record))
            {
                record = zip.Record($"data/{storage.Key}");
                records[storage.Key] = record;
            }
            table[name] = Place(path, name, tensor, record);
        }
        return table;
    }

    // The tensor's bytes in its storage record, checked: a known dtype, dense and contiguous, inside the storage.
    private static SafeTensorInfo Place(string path, string name, WeightsOnlyUnpickler.Tensor tensor, (long Offset, long Length) record)
    {
        string where = $"{path}: tensor \"{name}\"";
        var dtype = tensor.DType.DType ?? throw new ModelFormatException(
            $"{where} has dtype {tensor.DType.Name}, which Skald does not read (float32, float16, bfloat16, float64, integer and bool tensors)");
        var storageType = tensor.Storage.Type.DType ?? throw new ModelFormatException(
            $"{where} lies in a {tensor.Storage.Type.Name} storage, which Skald does not read");
        if (tensor.Shape.Length != tensor.Stride.Length)
            throw new ModelFormatException($"{where} has {tensor.Shape.Length} dimensions but {tensor.Stride.Length} strides");
        var shape = new int[tensor.Shape.Length];
        long elements = 1;
        for (int d = 0; d < shape.Length; d++)
        {
            shape[d] = tensor.Shape[d] <= int.MaxValue ? (int)tensor.Shape[d] : throw new ModelFormatException($"{where} has dimension {d} of {tensor.Shape[d]}");
            elements = checked(elements * shape[d]);
        }
        long expected = 1; // torch's is_contiguous: row-major strides, a dimension of size 1 may have any stride
        for (int d = shape.Length - 1; d >= 0 && elements > 0; d--)
        {
            if (shape[d] != 1 && tensor.Stride[d] != expected)
                throw new ModelFormatException(
                    $"{where} is not contiguous (shape [{string.Join(", ", tensor.Shape)}], strides [{string.Join(", ", tensor.Stride)}]); save it with .contiguous()");
            expected *= shape[d];
        }
        int elementSize = SafeTensorsFile.ElementSize(dtype);
        long storageBytes = checked(tensor.Storage.Numel * SafeTensorsFile.ElementSize(storageType));
        if (record.Length < storageBytes)
            throw new ModelFormatException(
                $"{path}: storage record data/{tensor.Storage.Key} holds {record.Length} bytes, its {tensor.Storage.Numel} {tensor.Storage.Type.Name} elements need {storageBytes} (the file is damaged)");
        long begin = checked(tensor.Offset * elementSize), end = checked(begin + elements * elementSize);
        if (elements > 0 && end > storageBytes)
            throw new ModelFormatException(
                $"{where} (offset {tensor.Offset}, {elements} elements) runs past its storage data/{tensor.Storage.Key} of {storageBytes} bytes");
        if (elements == 0) begin = end = 0;
        return new SafeTensorInfo(name, dtype, shape, record.Offset + begin, record.Offset + end);
    }
}
