using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Skald.Tensors.Gemm;

public sealed unsafe partial class ManagedGemm
{
    /// <summary>Whether deep products split by rows pack op(B) once for all threads (off: each thread packs all of
    /// it, as before; for tests and side-by-side measurement).</summary>
    internal static bool SharePanels = true;

    /// <summary>The caller's buffer for one K slice of op(B) packed for every thread (grown on demand, then reused).</summary>
    [ThreadStatic] private static float[]? sharedPanels;

    /// <summary>
    /// A product split by rows whose B is packed per call (not pre-packed, float32) and at least two K slices deep: a
    /// training step's weight gradients dyᵀ·x (K = the batch's tokens, B = the activations x). Split by rows, every thread
    /// packs all of B for its own rows, so two threads pack it twice (the row-by-row B pack was 4.8% of an MNRL step).
    /// </summary>
    private static bool SharesPanels(in KernelSpec s, in GemmArgs g) =>
        SharePanels && g.PackedB == null && g.B16 == null && g.RowsDone == null && g.Epilogue == null && g.Alpha != 0f
        && g.K >= 2 * s.KC && (long)s.KC * (g.N + s.NR) + 16 <= Array.MaxLength;

    /// <summary>
    /// C = alpha·op(A)·op(B) + beta·C one K slice at a time: the threads pack disjoint panels of the slice of op(B) into
    /// one buffer, then split C's rows over it (the pre-packed path, <see cref="GemmDriver"/>'s RunPacked, one slice
    /// deep). Each slice after the first adds to C with beta 1 and the bias goes in before the first, so every C element
    /// gets the same slices in the same order, each one FMA chain in k order: the bits of the unshared product at any
    /// thread count.
    /// </summary>
    private void RunSharedPanels(in KernelSpec s, in GemmArgs g, int units, int parts)
    {
        int nr = s.NR, mr = s.MR, panels = (g.N + nr - 1) / nr;
        long need = (long)s.KC * panels * nr + 16;
        var spec = s;
        if (sharedPanels is null || sharedPanels.Length < need)
            sharedPanels = GC.AllocateUninitializedArray<float>((int)need, pinned: true);
        nint p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(sharedPanels));
        float* buffer = (float*)((p + 63) & ~(nint)63);
        for (int pc = 0; pc < g.K; pc += s.KC)
        {
            int kc = Math.Min(s.KC, g.K - pc);
            var slice = g;
            slice.K = kc;
            slice.A = g.TransA ? g.A + (long)pc * g.Lda : g.A + pc;
            slice.B = g.TransB ? g.B + pc : g.B + (long)pc * g.Ldb;
            if (pc > 0)
            {
                slice.Beta = 1f;
                slice.Bias = null;
            }
            // [kc, N] of op(B) → panels j at j·kc·NR, one contiguous range of panels per thread.
            Parallelism.Chunked(panels, parts, parts, (q0, q1) =>
                GemmDriver.PackB(slice, 0, kc, q0 * nr, Math.Min(slice.N, q1 * nr) - q0 * nr, buffer + (long)q0 * kc * nr, nr),
                guided: false);
            slice.PackedB = buffer;
            ParallelRanges(units, 1, parts, true,
                (u0, u1) => GemmDriver.Run(spec, slice, u0 * mr, Math.Min(slice.M, u1 * mr), 0, slice.N));
        }
    }
}
