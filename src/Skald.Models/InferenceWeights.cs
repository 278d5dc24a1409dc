using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tensors.Quantization;

namespace Skald.Models;

/// <summary>
/// How an inference-only model (<see cref="SentenceEncoder"/>, <see cref="CrossEncoders.CrossEncoder"/>) keeps its
/// float32 Linear weights once: packed for the GEMM (<see cref="KeepPackedOnly"/>), quantised to int8
/// (<see cref="KeepInt8Only"/>) or rounded to bfloat16 panels (<see cref="KeepBf16Only"/>; generators too). Each switches
/// the model's inference tape and runs one small pass, in which every weight the forward multiplies is packed,
/// quantised or rounded and its values dropped, then gives the dropped arrays back.
/// </summary>
internal static class InferenceWeights
{
    /// <summary>
    /// The one rule for spending memory on speed at inference: a model with at most
    /// <see cref="SentenceEncoder.PackWeightsLimitBytes"/> of float32 weights pre-packs them (<see cref="Tape.PackWeights"/>)
    /// and, where float32 products run as AMX bfloat16 tiles, holds their bfloat16 pieces (<see cref="Tape.HoldWeightPieces"/>);
    /// a larger one (a decoder) does neither by default, so it costs no copy of its weights beyond the packed panels.
    /// </summary>
    public static void SpendMemoryOnSpeed(Tape inference, IReadOnlyList<Parameter> parameters)
    {
        bool small = SentenceEncoder.SpendsMemoryOnSpeed(parameters);
        inference.PackWeights = small;
        inference.HoldWeightPieces = small;
    }

    /// <summary>Packed-only: returns the float32 bytes released.</summary>
    public static long KeepPackedOnly(Tape inference, InferenceGate gate, IReadOnlyList<Parameter> parameters, Action warm)
    {
        long before = Float32Bytes(parameters);
        using (gate.Enter())
        {
            inference.PackWeights = true;
            inference.KeepPackedOnly = true;
        }
        warm(); // every Linear weight the forward multiplies: packed, its float32 values dropped
        GC.Collect(); // give the dropped float32 arrays back before the first real batch
        return before - Float32Bytes(parameters);
    }

    /// <summary>Int8-only: returns the float32 bytes released (0 on a CPU without int8 kernels, where nothing changes).</summary>
    public static long KeepInt8Only(Tape inference, InferenceGate gate, IReadOnlyList<Parameter> parameters, Action warm)
    {
        if (Int8Gemm.Best is null) return 0;
        long before = Float32Bytes(parameters);
        using (gate.Enter())
        {
            inference.QuantizeLinear = true;
            inference.KeepInt8Only = true;
        }
        warm(); // every Linear weight the forward multiplies: quantised, its float32 dropped
        GC.Collect();
        return before - Float32Bytes(parameters);
    }

    /// <summary>
    /// Bf16-only: every Linear weight the forward multiplies keeps only its bfloat16 panels; returns the bytes of the
    /// values released (float32 or 16-bit; 0 on a CPU without AVX512-BF16, where nothing changes).
    /// </summary>
    public static long KeepBf16Only(Tape inference, InferenceGate gate, IReadOnlyList<Parameter> parameters, Action warm)
    {
        if (!Bf16Gemm.IsSupported) return 0;
        long before = ValueBytes(parameters);
        using (gate.Enter())
        {
            inference.Bf16Linear = true;
            inference.KeepBf16Only = true;
        }
        warm(); // every Linear weight the forward multiplies: rounded into panels, its values dropped
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true); // the dropped values' pages back to the OS
        return before - ValueBytes(parameters);
    }

    private static long ValueBytes(IReadOnlyList<Parameter> parameters) => parameters
        .Where(p => !p.IsInt8Only && !p.IsPackedOnly && !p.IsBf16Only).Sum(p => p.Bytes);

    private static long Float32Bytes(IReadOnlyList<Parameter> parameters) => parameters
        .Where(p => !p.IsInt8Only && !p.IsPackedOnly && p.Precision == WeightPrecision.Float32).Sum(p => 4L * p.Length);
}
