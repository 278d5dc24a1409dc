using System.Text.Json;
using System.Text.Json.Nodes;
using Skald.Models.Checkpoints;
using Skald.Models.Modules;
using Skald.Tensors.Autograd;
using Skald.Tensors.Quantization;
using Skald.Tokenizers.Serialization;

namespace Skald.Models.Quantization;

/// <summary>
/// A saved int8 model (<c>skald quantize</c>): a copy of the model folder whose transformer checkpoint
/// (model.safetensors) holds each Linear weight as I8 [out, in] under its own key plus an F32 [out] per-row scale under
/// <c>{key}_scale</c> (w ≈ scale[j] · q[j, k]); every other tensor stays F32, and quantization_config.json
/// (<c>"quant_method": "skald-int8"</c>, the quantised keys) marks the folder. Loading it attaches the stored int8
/// values to the weights as they are (no re-quantisation) and turns int8 inference on; readers that want float32 get
/// scale · q. The folder's card names Skald as its library (<see cref="Int8Card"/>).
/// </summary>
public static class Int8Checkpoint
{
    /// <summary>The marker file in the transformer folder.</summary>
    public const string ConfigFile = "quantization_config.json";

    /// <summary>Suffix of a quantised weight's scale key.</summary>
    public const string ScaleSuffix = "_scale";

    private const string Method = "skald-int8";

    private static readonly string[] WeightFiles = [".safetensors", ".bin", ".pt", ".h5", ".msgpack", ".ckpt", ".index.json"];

    /// <summary>Whether <paramref name="transformerPath"/> holds a saved int8 model.</summary>
    public static bool IsQuantized(string transformerPath) => File.Exists(Path.Combine(transformerPath, ConfigFile));

    /// <summary>
    /// Refuses (<see cref="ModelFormatException"/>, one line naming the folder) to save the int8 model in
    /// <paramref name="folder"/> in float32 with adapters merged (<c>skald merge</c>, a cross-encoder's saver): they would
    /// be merged into its dequantised weights, which are neither it nor the adapters' model. Nothing for any other folder.
    /// </summary>
    public static void RefuseMerge(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (IsQuantized(ModelFolder.Read(folder).TransformerPath))
            throw new ModelFormatException($"{folder}: an int8 model (skald quantize's): merging adapters into its dequantised weights " +
                "would save neither it nor the adapters' model; merge onto its float32 base, then quantize the result");
    }

    /// <summary>
    /// Writes <paramref name="model"/> quantised to <paramref name="output"/> (must not exist or be empty): the folder
    /// copied, the transformer's weights replaced. The Linear weights are the ones an int8 forward multiplies (found by
    /// encoding one text). Returns the quantised keys. Throws <see cref="PlatformNotSupportedException"/> on a CPU
    /// without int8 kernels. An int8-only model (<see cref="SentenceEncoder.KeepInt8Only"/>) is saved from its int8
    /// forms as they are.
    /// </summary>
    public static IReadOnlyList<string> Save(SentenceEncoder model, string output)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (Int8Gemm.Best is null) throw new PlatformNotSupportedException("this CPU has neither AVX-VNNI nor AVX2: int8 quantisation needs one");
        bool was = model.QuantizeInt8;
        model.QuantizeInt8 = true;
        model.Encode(["kvantisering"]); // every Linear weight the forward uses now has its int8 form
        model.QuantizeInt8 = was;
        return Write(model.Folder, model.Transformer.Parameters, [], output, model.Llm2VecAdapterFiles());
    }

    /// <summary>
    /// As <see cref="Save(SentenceEncoder, string)"/> for a cross-encoder: its transformer's Linear weights in int8 (found
    /// by scoring one pair), the classification head in float32 beside them (as int8 inference keeps it).
    /// </summary>
    public static IReadOnlyList<string> Save(CrossEncoders.CrossEncoder model, string output)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (Int8Gemm.Best is null) throw new PlatformNotSupportedException("this CPU has neither AVX-VNNI nor AVX2: int8 quantisation needs one");
        model.QuantizeOnce();
        return Write(ModelFolder.Read(model.Path), model.Transformer.Parameters, model.Head.Parameters, output);
    }

    /// <summary>
    /// Copies <paramref name="folder"/> to <paramref name="output"/> and writes its transformer checkpoint: each of
    /// <paramref name="transformer"/>'s weights with an int8 form (made by the pass just run, or loaded int8-only) as I8
    /// plus its scale, every other tensor and <paramref name="float32"/> as F32; <paramref name="extraFiles"/> are copied
    /// into the output folder over the base folder's files.
    /// </summary>
    private static IReadOnlyList<string> Write(ModelFolder folder, IReadOnlyList<Parameter> transformer, IReadOnlyList<Parameter> float32, string output,
        IReadOnlyList<string>? extraFiles = null)
    {
        var inTransformer = new HashSet<Parameter>(transformer, ReferenceEqualityComparer.Instance);
        var quantised = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        foreach (var p in transformer.Where(p => p.IsInt8Only)) quantised.Add(p); // loaded int8-only
        foreach (var p in Int8Weights.Quantized())
        {
            if (inTransformer.Contains(p)) quantised.Add(p);
            foreach (var part in p.Parts)
            {
                if (inTransformer.Contains(part)) quantised.Add(part);
            }
        }
        // The whole folder is staged beside the output and moved into place at the end (StagingPaths): a run killed
        // or out of disk leaves no half-written model, and a rerun starts clean.
        if (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any())
            throw new IOException($"{output}: the output folder exists and is not empty");
        Int8Card.Check(folder.Path); // before anything is written
        var keys = new List<string>();
        StagingPaths.ReplaceFolder(output, staged =>
        {
            CopyFolder(folder.Path, staged, Path.GetFullPath(folder.TransformerPath));
            foreach (string file in extraFiles ?? []) File.Copy(file, Path.Combine(staged, Path.GetFileName(file)), overwrite: true);
            Int8Card.Mark(staged); // the float model's card names sentence-transformers, which cannot read these weights
            var entries = new List<MixedSafeTensorsWriter.Entry>();
            foreach (var p in transformer)
            {
                if (!quantised.Contains(p) || Int8Weights.For(p) is not { } q)
                {
                    // A float Conv1D weight (GPT-2) as transformers stores it, [in, out]; an int8 one is [out, in] as
                    // every int8 Linear weight here (ParameterBuilder.Conv1D reads it so).
                    var floats = Float32Copy(p);
                    var stored = StoredLayout.Tensor(p.Name, p, floats);
                    entries.Add(new(p.Name, stored.Shape, p.StoredTransposed ? stored.Data.ToArray() : floats, null));
                    continue;
                }
                var values = new sbyte[(long)q.N * q.K];
                for (int j = 0; j < q.N; j++) q.CopyRow(j, values.AsSpan(j * q.K, q.K));
                entries.Add(new(p.Name, p.Shape, null, values));
                entries.Add(new(p.Name + ScaleSuffix, [q.N], q.Scales[..q.N], null));
                keys.Add(p.Name);
            }
            foreach (var p in float32) entries.Add(new(p.Name, p.Shape, Float32Copy(p), null));
            string target = Path.Combine(staged, Path.GetRelativePath(folder.Path, folder.TransformerPath));
            MixedSafeTensorsWriter.Write(Path.Combine(target, "model.safetensors"), entries,
                new Dictionary<string, string> { ["format"] = "pt", ["quant_method"] = Method });
            var config = new JsonObject
            {
                ["quant_method"] = Method,
                ["version"] = 1,
                ["weights"] = "int8, symmetric, one float32 scale per output row: w[j, k] = {key}_scale[j] * {key}[j, k]",
                ["activations"] = "quantised per row (token) at run time, asymmetric unsigned",
                ["quantized_keys"] = new JsonArray([.. keys.Select(k => (JsonNode)k)]),
            };
            File.WriteAllText(Path.Combine(target, ConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        });
        return keys;
    }

    /// <summary>A copy of the float32 values (read out of the panels for a packed-only weight, or the file for a file-backed one).</summary>
    private static float[] Float32Copy(Parameter p)
    {
        if (!p.IsPackedOnly && !p.IsFileBacked) return p.Data.ToArray();
        var values = new float[p.Length];
        p.Widen(0, values);
        return values;
    }

    /// <summary>
    /// When the model's folder is a saved int8 model, makes it an inference-only int8 model and returns true: the
    /// weights loaded int8-only (<see cref="Parameter.IsInt8Only"/>) stay so, the stored int8 values of any other I8
    /// tensor are attached to its float32 parameter, and int8 inference is on (<see cref="SentenceEncoder.IsInt8Only"/>).
    /// With <paramref name="adaptersMerged"/> the weights were dequantised to merge adapters into them: they are
    /// quantised anew instead (<see cref="SentenceEncoder.KeepInt8Only"/>), so the int8 model includes the adapters.
    /// </summary>
    internal static bool AttachIfQuantized(SentenceEncoder model, bool adaptersMerged = false)
    {
        string dir = model.Folder.TransformerPath;
        if (!IsQuantized(dir)) return false;
        if (adaptersMerged)
        {
            if (model.KeepInt8Only() == 0) model.QuantizeInt8 = true;
            return true;
        }
        string file = Path.Combine(dir, "model.safetensors");
        using var st = SafeTensorsFile.Open(file);
        foreach (var p in model.Transformer.Parameters)
        {
            if (p.IsInt8Only || !st.Tensors.TryGetValue(p.Name, out var info) || info.DType != SafeTensorsDType.I8) continue;
            var scale = ScaleOf(st, info) ?? throw new ModelFormatException($"{file}: int8 tensor \"{p.Name}\" has no F32 \"{p.Name}{ScaleSuffix}\" of {Counted.Of(info.Shape[0], "value")}");
            var values = ReadBytes(file, info);
            var scales = ReadBytes(file, scale);
            Int8Weights.Attach(p, Int8Matrix.FromQuantized(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(values),
                System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(scales), info.Shape[0], info.Shape[1]));
        }
        model.MarkInt8Only();
        return true;
    }

    /// <summary>The F32 per-row scale of a 2-D I8 tensor, or null when the file has none that fits.</summary>
    internal static SafeTensorInfo? ScaleOf(SafeTensorsFile file, SafeTensorInfo info) =>
        info.Shape.Length == 2 && file.Tensors.TryGetValue(info.Name + ScaleSuffix, out var s)
        && s.DType == SafeTensorsDType.F32 && s.Shape.Length == 1 && s.Shape[0] == info.Shape[0] ? s : null;

    /// <summary>destination[j, k] = scales[j] · q[j, k] (the float32 view of an int8 weight).</summary>
    internal static void Dequantize(ReadOnlySpan<sbyte> q, ReadOnlySpan<float> scales, Span<float> destination)
    {
        int rows = scales.Length, k = rows == 0 ? 0 : q.Length / rows;
        for (int j = 0; j < rows; j++)
        {
            for (int c = 0; c < k; c++) destination[j * k + c] = scales[j] * q[j * k + c];
        }
    }

    private static byte[] ReadBytes(string path, SafeTensorInfo info)
    {
        using var fs = File.OpenRead(path);
        var len = new byte[8];
        fs.ReadExactly(len);
        long dataStart = 8 + (long)BitConverter.ToUInt64(len);
        fs.Position = dataStart + info.Begin;
        var data = new byte[info.End - info.Begin];
        fs.ReadExactly(data);
        return data;
    }

    private static void CopyFolder(string source, string output, string transformerDir)
    {
        // An output inside the model folder is staged there too: skipping staging folders keeps the copy out of itself.
        foreach (string dir in Directory.GetDirectories(source, "*", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(source, dir);
            if (!StagingPaths.IsStaging(rel)) Directory.CreateDirectory(Path.Combine(output, rel));
        }
        Directory.CreateDirectory(output);
        foreach (string file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            if (StagingPaths.IsStaging(Path.GetRelativePath(source, file))) continue;
            string name = Path.GetFileName(file);
            bool weights = Path.GetFullPath(Path.GetDirectoryName(file)!) == transformerDir.TrimEnd(Path.DirectorySeparatorChar)
                && WeightFiles.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase));
            if (!weights) File.Copy(file, Path.Combine(output, Path.GetRelativePath(source, file)));
        }
    }
}
