using Skald.Distributed;

namespace Skald.Training.Trainer;

/// <summary>
/// Sums the parameter gradients of every data-parallel rank, in place, after the backward passes of a step: the
/// gradients are packed in reverse parameter order (the order the backward pass finishes them, as PyTorch DDP's
/// buckets) into one ~25 MB buffer, all-reduced bucket by bucket and copied back. The reduction is not overlapped
/// with the backward pass: a parameter's gradient is final only after the last micro-batch's last closure, and the
/// tape has no per-parameter completion hook. The buffer is allocated once, so a step allocates nothing.
/// </summary>
internal sealed class GradientReducer
{
    /// <summary>Bucket size in floats (25 MB, DDP's default bucket_cap_mb).</summary>
    public const int BucketFloats = 25 * 1024 * 1024 / sizeof(float);

    private readonly ICommunicator comm;
    private readonly Parameter[] reversed;
    private readonly float[] bucket;
    private readonly List<(Parameter P, int Offset, int Count, int At)> pending = [];
    private int filled;

    public GradientReducer(ICommunicator comm, IReadOnlyList<Parameter> parameters)
    {
        this.comm = comm;
        reversed = [.. parameters.Reverse()];
        long total = parameters.Sum(p => (long)p.Length);
        bucket = new float[(int)Math.Min(BucketFloats, Math.Max(1, total))];
    }

    /// <summary>Floats all-reduced per step (every trained parameter once).</summary>
    public long Floats => reversed.Sum(p => (long)p.Length);

    /// <summary>Replaces every gradient by its sum over the ranks.</summary>
    public void SumGradients()
    {
        if (comm.Size == 1) return;
        foreach (var p in reversed)
        {
            var grad = p.Grad.Span;
            for (int offset = 0; offset < grad.Length;)
            {
                if (filled == bucket.Length) Flush();
                int n = Math.Min(grad.Length - offset, bucket.Length - filled);
                grad.Slice(offset, n).CopyTo(bucket.AsSpan(filled));
                pending.Add((p, offset, n, filled));
                filled += n;
                offset += n;
            }
        }
        Flush();
    }

    private void Flush()
    {
        if (filled == 0) return;
        comm.AllReduceSum(bucket.AsSpan(0, filled));
        foreach (var (p, offset, count, at) in pending) bucket.AsSpan(at, count).CopyTo(p.Grad.Span.Slice(offset, count));
        pending.Clear();
        filled = 0;
    }
}
