using System.Runtime.InteropServices;

namespace Skald.Tensors.Gemm;

/// <summary>
/// Native OpenBLAS (or any CBLAS exporting <c>cblas_sgemm</c>) through function pointers resolved with
/// <see cref="NativeLibrary"/>. Create with <see cref="TryCreate"/>; the library is loaded once per process.
/// OpenBLAS's own thread count follows <see cref="Parallelism.MaxThreads"/>.
/// </summary>
public sealed unsafe class OpenBlasGemm : IGemmBackend
{
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;
    private static readonly Lock Gate = new();
    private static NativeApi? api;
    private static bool probed;
    private readonly NativeApi native;
    private static int appliedThreads = -1;

    private OpenBlasGemm(NativeApi native) => this.native = native;

    /// <inheritdoc />
    public string Name => "openblas";

    /// <summary>Path or name of the loaded library.</summary>
    public string LibraryPath => native.Path;

    /// <summary>
    /// Batched products as one parallel loop over the batch with OpenBLAS pinned to one thread each (true, default,
    /// faster for attention-sized products), or as sequential calls each using OpenBLAS's own threads (false).
    /// </summary>
    public bool ParallelBatch { get; set; } = true;

    /// <summary>Loads the native library (once) and returns a backend, or null when no usable library is found.</summary>
    public static OpenBlasGemm? TryCreate()
    {
        lock (Gate)
        {
            if (!probed)
            {
                probed = true;
                api = Probe();
            }
        }
        return api is null ? null : new OpenBlasGemm(api);
    }

    /// <summary>
    /// Environment variable naming a CBLAS library to try before the usual names; <c>none</c> disables native BLAS
    /// (handy for testing the managed fallback).
    /// </summary>
    public const string LibraryEnvironmentVariable = "SKALD_OPENBLAS_LIBRARY";

    /// <summary>The file names probed on this OS, in order (empty when disabled by <see cref="LibraryEnvironmentVariable"/>).</summary>
    public static IReadOnlyList<string> CandidateLibraries()
    {
        var list = new List<string>();
        string? forced = Environment.GetEnvironmentVariable(LibraryEnvironmentVariable);
        if (string.Equals(forced, "none", StringComparison.OrdinalIgnoreCase)) return list;
        if (!string.IsNullOrWhiteSpace(forced)) list.Add(forced);
        if (OperatingSystem.IsWindows())
        {
            list.AddRange(["libopenblas.dll", "openblas.dll", "libopenblas64_.dll"]);
        }
        else if (OperatingSystem.IsMacOS())
        {
            list.AddRange([
                "libopenblas.dylib", "libopenblas.0.dylib",
                "/opt/homebrew/opt/openblas/lib/libopenblas.dylib", "/usr/local/opt/openblas/lib/libopenblas.dylib",
                "/System/Library/Frameworks/Accelerate.framework/Accelerate",
            ]);
        }
        else
        {
            list.AddRange(["libopenblas.so.0", "libopenblas.so"]);
            foreach (string dir in new[]
                     {
                         "/usr/lib/x86_64-linux-gnu/openblas-pthread", "/usr/lib/aarch64-linux-gnu/openblas-pthread",
                         "/usr/lib64", "/usr/lib",
                     })
            {
                if (!Directory.Exists(dir)) continue;
                try
                {
                    list.AddRange(Directory.GetFiles(dir, "libopenblas*.so*").Order(StringComparer.Ordinal));
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
            list.Add("libblas.so.3");
        }
        return list;
    }

    private static NativeApi? Probe()
    {
        foreach (string name in CandidateLibraries())
        {
            if (!NativeLibrary.TryLoad(name, out nint handle)) continue;
            if (NativeLibrary.TryGetExport(handle, "cblas_sgemm", out nint sgemm))
            {
                NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out nint setThreads);
                return new NativeApi(name, sgemm, setThreads);
            }
            NativeLibrary.Free(handle);
        }
        return null;
    }

    /// <inheritdoc />
    public void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        GemmChecks.Validate(transA, transB, m, n, k, lda, ldb, ldc, a.Length, b.Length, c.Length);
        if (m == 0 || n == 0) return;
        ApplyThreads(Parallelism.MaxThreads);
        fixed (float* pa = a, pb = b, pc = c)
        {
            Call(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
        }
    }

    /// <inheritdoc />
    /// <remarks>CBLAS has no bfloat16 operand: B is widened a block of columns at a time (<see cref="Bf16Tiles"/>).</remarks>
    public void SgemmBf16(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<ushort> b, int ldb, float beta, Span<float> c, int ldc)
    {
        GemmChecks.Validate(transA, transB, m, n, k, lda, ldb, ldc, a.Length, b.Length, c.Length);
        Bf16Tiles.Run(this, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <inheritdoc />
    /// <remarks>As <see cref="SgemmBf16"/>: B is widened a block of columns at a time.</remarks>
    public void SgemmF16(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<ushort> b, int ldb, float beta, Span<float> c, int ldc)
    {
        GemmChecks.Validate(transA, transB, m, n, k, lda, ldb, ldc, a.Length, b.Length, c.Length);
        Bf16Tiles.Run(this, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, half: true);
    }

    /// <inheritdoc />
    public void SgemmBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, long strideA, ReadOnlySpan<float> b, int ldb, long strideB,
        float beta, Span<float> c, int ldc, long strideC, int batch)
    {
        GemmChecks.Validate(transA, transB, m, n, k, lda, ldb, ldc, a.Length, b.Length, c.Length,
            strideA, strideB, strideC, batch);
        if (m == 0 || n == 0 || batch == 0) return;
        int threads = Parallelism.MaxThreads;
        fixed (float* pa = a, pb = b, pc = c)
        {
            if (!ParallelBatch || threads <= 1 || batch < threads || native.SetThreads == null)
            {
                ApplyThreads(threads);
                for (int i = 0; i < batch; i++)
                    Call(transA, transB, m, n, k, alpha, pa + i * strideA, lda, pb + i * strideB, ldb, beta,
                        pc + i * strideC, ldc);
                return;
            }
            ApplyThreads(1);
            nint na = (nint)pa, nb = (nint)pb, nc = (nint)pc;
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                (int start, int end) = Parallelism.Split(batch, threads, t);
                for (int i = start; i < end; i++)
                    Call(transA, transB, m, n, k, alpha, (float*)na + i * strideA, lda, (float*)nb + i * strideB, ldb,
                        beta, (float*)nc + i * strideC, ldc);
            });
        }
    }

    private void Call(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb,
        float beta, float* c, int ldc)
    {
        if (k == 0)
        {
            // Some CBLAS builds reject k = 0; BLAS semantics are C = beta·C.
            GemmChecks.ScaleC(m, n, beta, c, ldc);
            return;
        }
        native.Sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb,
            beta, c, ldc);
    }

    private void ApplyThreads(int threads)
    {
        if (native.SetThreads == null || appliedThreads == threads) return;
        native.SetThreads(threads);
        appliedThreads = threads;
    }

    private sealed class NativeApi(string path, nint sgemm, nint setThreads)
    {
        public readonly string Path = path;

        public readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*,
            int, void> Sgemm =
            (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)
            sgemm;

        public readonly delegate* unmanaged<int, void> SetThreads = (delegate* unmanaged<int, void>)setThreads;
    }
}
