namespace Skald.Tensors.Gemm;

/// <summary>
/// The process-wide GEMM entry point. <see cref="Backend"/> defaults to native OpenBLAS when found, else the managed
/// SIMD kernel. Every matrix product in Skald goes through here.
/// </summary>
public static class Blas
{
    private static IGemmBackend? backend;

    /// <summary>The backend in use; settable (tests, benchmarks, SKALD_GEMM=managed|openblas|reference).</summary>
    public static IGemmBackend Backend
    {
        get => backend ??= GemmBackends.CreateDefault();
        set => backend = value;
    }

    /// <inheritdoc cref="IGemmBackend.Sgemm"/>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
        => Backend.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>
    /// op(B) packed once for the current backend (<see cref="ManagedGemm.Pack"/>), or null when the backend takes no
    /// packed operand (then <see cref="SgemmPacked"/>
    /// uses B itself).
    /// </summary>
    public static PackedMatrix? Pack(bool transB, int k, int n, ReadOnlySpan<float> b, int ldb) =>
        Backend is ManagedGemm managed ? managed.Pack(transB, k, n, b, ldb) : null;

    /// <summary>
    /// Packs op(B) into <paramref name="packed"/> (made by <see cref="Pack"/> with the same k and n) again, allocating
    /// nothing, when the backend takes it; returns false (nothing done) when it does not, so the caller packs anew.
    /// </summary>
    public static bool Repack(PackedMatrix packed, bool transB, ReadOnlySpan<float> b, int ldb)
    {
        if (Backend is not ManagedGemm managed || !managed.Accepts(packed)) return false;
        managed.PackInto(packed, transB, b, ldb);
        return true;
    }

    /// <summary>
    /// <see cref="Sgemm"/> that reads B from <paramref name="packed"/> (made by <see cref="Pack"/> from the same B) when the backend takes
    /// it, else from <paramref name="b"/>. The result is the same either way (bit for bit on the managed backend).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void SgemmPacked(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, PackedMatrix? packed, float beta,
        Span<float> c, int ldc)
    {
        var backend = Backend;
        if (packed is not null && packed.K == k && packed.N == n && backend is ManagedGemm managed && managed.Accepts(packed))
            managed.SgemmPacked(transA, m, alpha, a, lda, packed, beta, c, ldc);
        else
            backend.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <inheritdoc cref="IGemmBackend.SgemmBf16"/>
    public static void SgemmBf16(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<ushort> b, int ldb, float beta, Span<float> c, int ldc)
        => Backend.SgemmBf16(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <inheritdoc cref="IGemmBackend.SgemmF16"/>
    public static void SgemmF16(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<ushort> b, int ldb, float beta, Span<float> c, int ldc)
        => Backend.SgemmF16(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>
    /// <see cref="SgemmBf16"/> or <see cref="SgemmF16"/> by <paramref name="format"/> (<see cref="WeightPrecision.BFloat16"/>
    /// or <see cref="WeightPrecision.Float16"/>).
    /// </summary>
    public static void Sgemm16(WeightPrecision format, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<ushort> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (format == WeightPrecision.Float16) Backend.SgemmF16(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        else Backend.SgemmBf16(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <inheritdoc cref="IGemmBackend.SgemmBatched"/>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void SgemmBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, long strideA, ReadOnlySpan<float> b, int ldb, long strideB,
        float beta, Span<float> c, int ldc, long strideC, int batch)
        => Backend.SgemmBatched(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc,
            strideC, batch);
}
