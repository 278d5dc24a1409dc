using Skald.Hub;
using Skald.Models;
using Skald.Models.Adapters;
using Skald.Models.Checkpoints;
using Skald.Models.Modules;
using Skald.Tensors;
using Skald.Training.Config;

namespace Skald.Training.Trainer;

/// <summary>
/// <c>model.weights</c>: how the base model's weight matrices are held while training (the names of
/// <c>skald encode --weights</c>, and <c>int8</c> as <c>--quantize int8</c>). A 16-bit or int8 base is frozen, so the
/// config reader allows <c>bf16</c>/<c>f16</c>/<c>int8</c> only with LoRA; <c>auto</c> keeps a checkpoint stored in
/// F16/BF16 in that format when the base is frozen, else float32.
/// </summary>
public static class BaseWeights
{
    /// <summary>The precision to load <paramref name="modelPath"/> with under <paramref name="config"/>.</summary>
    public static WeightPrecision Resolve(TrainingConfig config, string modelPath)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.Model.Weights switch
        {
            "bf16" => WeightPrecision.BFloat16,
            "f16" => WeightPrecision.Float16,
            "auto" when config.Lora is not null && config.Model.Type != "static" => Stored(modelPath),
            _ => WeightPrecision.Float32,
        };
    }

    /// <summary>
    /// <c>model.weights: int8</c>: makes the loaded base's Linear weights int8-only
    /// (<see cref="SentenceEncoder.KeepInt8Only"/>, before LoRA adapters are attached to them), so LoRA trains on a base
    /// of about a quarter of float32's memory. Returns a line for the log when the CPU has no int8 kernel (the base then
    /// stays float32), else null.
    /// </summary>
    public static string? Quantize(TrainingConfig config, SentenceEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(encoder);
        if (config.Model.Weights != "int8") return null;
        return encoder.KeepInt8Only() == 0 && !encoder.IsInt8Only
            ? "model.weights: int8: this CPU has no int8 kernel, so the base stays float32 (the LoRA adapters train the same)"
            : null;
    }

    /// <summary>
    /// One line for a base held in 16 bits or int8: the format and the weights' memory against float32's; null for float32.
    /// </summary>
    public static string? Describe(ITrainableModel model)
    {
        if (model is Modeling.TrainableEncoder { Model: { IsInt8Only: true } q })
        {
            long int8 = q.Parameters.Where(p => p.IsInt8Only).Sum(p => (long)p.Length);
            return $"model.weights: the base's Linear weights are held in int8 (frozen, multiplied dequantised; the LoRA adapters " +
                $"train in float32): {q.WeightBytes / (double)(1 << 20):F1} MiB of weights, " +
                $"{(q.WeightBytes + 3 * int8) / (double)(1 << 20):F1} MiB in float32";
        }
        if (model is not Modeling.TrainableEncoder { Model: var m } || m.WeightPrecision == WeightPrecision.Float32) return null;
        long narrow = m.Parameters.Where(p => p.Precision != WeightPrecision.Float32).Sum(p => (long)p.Length);
        string format = m.WeightPrecision == WeightPrecision.BFloat16 ? "bfloat16" : "float16";
        return $"model.weights: the base's weight matrices are held in {format} (frozen; the LoRA adapters train in float32): " +
            $"{m.WeightBytes / (double)(1 << 20):F1} MiB of weights, {(m.WeightBytes + 2 * narrow) / (double)(1 << 20):F1} MiB in float32";
    }

    /// <summary>
    /// The 16-bit format a transformer folder's weight matrices are stored in (the dtype of its first 2-D floating-point
    /// tensor, F16 or BF16), else <see cref="WeightPrecision.Float32"/> (F32/F64 checkpoints, static models).
    /// </summary>
    public static WeightPrecision Stored(string modelPath)
    {
        var folder = ModelFolder.Read(AdapterBase.Expand(HubResolver.Locate(modelPath), null).Model);
        if (folder.IsStatic) return WeightPrecision.Float32;
        foreach (var file in Directory.EnumerateFiles(folder.TransformerPath, "*.safetensors").Order(StringComparer.Ordinal))
        {
            using var st = SafeTensorsFile.Open(file);
            foreach (var info in st.Tensors.Values.Where(t => t.Shape.Length == 2).OrderBy(t => t.Begin))
            {
                switch (info.DType)
                {
                    case SafeTensorsDType.BF16: return WeightPrecision.BFloat16;
                    case SafeTensorsDType.F16: return WeightPrecision.Float16;
                    case SafeTensorsDType.F32 or SafeTensorsDType.F64: return WeightPrecision.Float32;
                }
            }
        }
        return WeightPrecision.Float32;
    }
}
