namespace Skald.Tensors.Gemm;

/// <summary>
/// Chooses a GEMM backend: environment variable <c>SKALD_GEMM</c> = <c>openblas</c> | <c>managed</c> |
/// <c>reference</c> overrides. Otherwise (auto) the managed kernel on CPUs with 256- or 512-bit vectors, where it
/// measured about 1.8× OpenBLAS (bench/gemm); elsewhere native OpenBLAS when a library is found, else managed.
/// </summary>
public static class GemmBackends
{
    /// <summary>The environment variable read by <see cref="CreateDefault"/>.</summary>
    public const string EnvironmentVariable = "SKALD_GEMM";

    /// <summary>The default backend for this machine.</summary>
    public static IGemmBackend CreateDefault() => Create(Environment.GetEnvironmentVariable(EnvironmentVariable));

    /// <summary>
    /// The backend named by <paramref name="name"/> (openblas, managed, reference; case-insensitive); null or empty
    /// means auto. "openblas" falls back to managed when no library is found.
    /// </summary>
    public static IGemmBackend Create(string? name)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "reference":
                return new ReferenceGemm();
            case "managed":
                return new ManagedGemm();
            case "openblas":
                return (IGemmBackend?)TryCreateOpenBlas() ?? new ManagedGemm();
            case null or "" or "auto":
                return ManagedGemm.BestKernel() is ManagedGemmKernel.Vector512 or ManagedGemmKernel.Vector256Wide
                    ? new ManagedGemm()
                    : (IGemmBackend?)TryCreateOpenBlas() ?? new ManagedGemm();
            default:
                throw new ArgumentException(
                    $"Unknown GEMM backend '{name}' (expected openblas, managed or reference).", nameof(name));
        }
    }

    /// <summary>Native OpenBLAS when a library exporting cblas_sgemm loads, else null.</summary>
    public static OpenBlasGemm? TryCreateOpenBlas() => OpenBlasGemm.TryCreate();
}
