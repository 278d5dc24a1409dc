using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tensors.Quantization;

namespace Skald.Models;

/// <summary>
/// How an inference-only model (<see cref="SentenceEncoder"/>, <see cref="CrossEncoders.CrossEncoder"/>) keeps its
/// float32 Linear weights once: packed for the GEMM (<see cref="KeepPackedOnly"/>) or quantised to int8
/// (<see cref="KeepInt8Only"/>). Both switch the model's inference tape and run one small pass, in which every weight
/// the forward multiplies is packed or quantised and its float32 values dropped, then give the dropped arrays back.
/// </summary>
internal static class InferenceWeights
{
    /// <summary>Packed-only: returns the float32 bytes released.</summary>
    public static long KeepPackedOnly(Tape inference, Lock gate, IReadOnlyList<Parameter> parameters, Action warm)
    {
        long before = Float32Bytes(parameters);
        lock (gate)
        {
            inference.PackWeights = true;
            inference.KeepPackedOnly = true;
        }
        warm(); // every Linear weight the forward multiplies: packed, its float32 values dropped
        GC.Collect(); // give the dropped float32 arrays back before the first real batch
        return before - Float32Bytes(parameters);
    }

    /// <summary>Int8-only: returns the float32 bytes released (0 on a CPU without int8 kernels, where nothing changes).</summary>
    public static long KeepInt8Only(Tape inference, Lock gate, IReadOnlyList<Parameter> parameters, Action warm)
    {
        if (Int8Gemm.Best is null) return 0;
        long before = Float32Bytes(parameters);
        lock (gate)
        {
            inference.QuantizeLinear = true;
            inference.KeepInt8Only = true;
        }
        warm(); // every Linear weight the forward multiplies: quantised, its float32 dropped
        GC.Collect();
        return before - Float32Bytes(parameters);
    }

    private static long Float32Bytes(IReadOnlyList<Parameter> parameters) => parameters
        .Where(p => !p.IsInt8Only && !p.IsPackedOnly && p.Precision == WeightPrecision.Float32).Sum(p => 4L * p.Length);
}
