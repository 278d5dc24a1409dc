namespace Skald.Tensors.Gemm;

/// <summary>Chooses a GEMM backend. (Stub: the engine work replaces this with OpenBLAS probing + managed SIMD.)</summary>
public static class GemmBackends
{
    /// <summary>The default backend for this machine.</summary>
    public static IGemmBackend CreateDefault() => new ReferenceGemm();
}
