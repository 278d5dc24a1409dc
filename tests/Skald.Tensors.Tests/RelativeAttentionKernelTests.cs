using Skald.Tensors.Kernels;

namespace Skald.Tensors.Tests;

/// <summary>LTG-BERT's relative attention kernel (forward and backward) against its scalar twins, and the log buckets against upstream's formula.</summary>
public sealed class RelativeAttentionKernelTests
{
    [Theory]
    [InlineData(1, 5, 1, 4, 4)]
    [InlineData(3, 19, 3, 8, 8)]
    [InlineData(2, 40, 4, 16, 32)]
    public void ForwardMatchesReference(int batch, int seq, int heads, int d, int bucket)
    {
        int c = heads * d, r = 2 * bucket - 1;
        var rnd = new SkaldRandom(11);
        var qk = new float[batch * seq * 2 * c];
        var v = new float[batch * seq * c];
        var pos = new float[r * 2 * c];
        rnd.FillUniform(qk, -1f, 1f);
        rnd.FillUniform(v, -1f, 1f);
        rnd.FillUniform(pos, -1f, 1f);
        var mask = new float[batch * seq];
        for (int b = 1; b < batch; b++) for (int t = seq - 2 * b; t < seq; t++) mask[b * seq + t] = float.MinValue;
        var idx = RelativeAttention.BucketIndices(seq, bucket, 512);
        float scale = 1f / MathF.Sqrt(3f * d);
        var o1 = new float[batch * seq * c];
        var o2 = new float[batch * seq * c];
        var p1 = new float[batch * heads * seq * seq];
        var p2 = new float[batch * heads * seq * seq];
        RelativeAttention.Forward(qk, v, pos, idx, mask, o1, p1, batch, seq, heads, d, r, scale);
        RelativeAttention.ForwardReference(qk, v, pos, idx, mask, o2, p2, batch, seq, heads, d, r, scale);
        for (int i = 0; i < o1.Length; i++) Assert.Equal(o2[i], o1[i], 1e-5f);
        for (int i = 0; i < p1.Length; i++) Assert.Equal(p2[i], p1[i], 1e-5f);

        var dO = new float[o1.Length];
        rnd.FillUniform(dO, -1f, 1f);
        float[] dqk1 = new float[qk.Length], dv1 = new float[v.Length], dpos1 = new float[pos.Length];
        float[] dqk2 = new float[qk.Length], dv2 = new float[v.Length], dpos2 = new float[pos.Length];
        RelativeAttention.Backward(dO, qk, v, pos, idx, p1, dqk1, dv1, dpos1, batch, seq, heads, d, r, scale);
        RelativeAttention.BackwardReference(dO, qk, v, pos, idx, p2, dqk2, dv2, dpos2, batch, seq, heads, d, r, scale);
        for (int i = 0; i < dqk1.Length; i++) Assert.Equal(dqk2[i], dqk1[i], 1e-4f);
        for (int i = 0; i < dv1.Length; i++) Assert.Equal(dv2[i], dv1[i], 1e-4f);
        for (int i = 0; i < dpos1.Length; i++) Assert.Equal(dpos2[i], dpos1[i], 1e-4f);
    }

    [Fact]
    public void BucketsFollowUpstreamsLogFormula()
    {
        // make_log_bucket_position(rel, 32, 512): |rel| < 16 keeps rel; beyond, ceil(log(|rel|/16)/log(511/16)·15) + 16.
        Assert.Equal(0, RelativeAttention.Bucket(0, 32, 512));
        Assert.Equal(-15, RelativeAttention.Bucket(-15, 32, 512));
        Assert.Equal(16, RelativeAttention.Bucket(16, 32, 512));
        for (int rel = 17; rel < 600; rel++)
        {
            int abs = Math.Min(rel, 511);
            int expected = (int)Math.Ceiling(Math.Log(abs / 16.0) / Math.Log(511.0 / 16) * 15) + 16;
            Assert.InRange(RelativeAttention.Bucket(rel, 32, 512), expected - 1, expected);
            Assert.Equal(-RelativeAttention.Bucket(rel, 32, 512), RelativeAttention.Bucket(-rel, 32, 512));
        }
        Assert.Equal(31, RelativeAttention.Bucket(511, 32, 512));
        Assert.Equal(31, RelativeAttention.Bucket(5000, 32, 512));
    }
}
