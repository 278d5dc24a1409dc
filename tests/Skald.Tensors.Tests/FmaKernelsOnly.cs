using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// Keeps this thread's packed float32 products on the FMA kernels while alive (<see cref="SixTermGemm.Override"/> −1):
/// for tests of the FMA GEMM's own claims (packed equals unpacked bit for bit, the inference pass equals the recording
/// one), which the six-term product on AMX hosts does not make.
/// </summary>
internal sealed class FmaKernelsOnly : IDisposable
{
    private readonly int was = SixTermGemm.Override;

    public FmaKernelsOnly() => SixTermGemm.Override = -1;

    public void Dispose() => SixTermGemm.Override = was;
}
