using Skald.Models.Checkpoints;
using Skald.Tensors.Kernels;

namespace Skald.Models.Architectures;

/// <summary>
/// One BertLayer (modeling_bert.py: BertAttention = BertSelfAttention + BertSelfOutput, BertIntermediate, BertOutput).
/// Query, key and value projections are fused into one [3C, C] matrix at load time so one GEMM computes all three.
/// </summary>
internal sealed class BertLayer
{
    private readonly int c, inter, heads;
    private readonly float eps;
    private readonly float[] qkvWeight, qkvBias;         // [3C, C], [3C]
    private readonly float[] attnOutWeight, attnOutBias; // [C, C], [C]
    private readonly float[] attnLnWeight, attnLnBias;   // [C]
    private readonly float[] interWeight, interBias;     // [I, C], [I]
    private readonly float[] outWeight, outBias;         // [C, I], [C]
    private readonly float[] outLnWeight, outLnBias;     // [C]

    public BertLayer(Checkpoint w, string path, TransformerConfig cfg)
    {
        c = cfg.HiddenSize;
        inter = cfg.IntermediateSize;
        heads = cfg.NumHeads;
        eps = cfg.LayerNormEps;
        qkvWeight = new float[3 * c * c];
        qkvBias = new float[3 * c];
        string[] names = ["query", "key", "value"];
        for (int i = 0; i < 3; i++)
        {
            w.Read($"{path}.attention.self.{names[i]}.weight", c, c).CopyTo(qkvWeight, i * c * c);
            w.Read($"{path}.attention.self.{names[i]}.bias", c).CopyTo(qkvBias, i * c);
        }
        attnOutWeight = w.Read($"{path}.attention.output.dense.weight", c, c);
        attnOutBias = w.Read($"{path}.attention.output.dense.bias", c);
        (attnLnWeight, attnLnBias) = BertModel.ReadLayerNorm(w, $"{path}.attention.output.LayerNorm", c);
        interWeight = w.Read($"{path}.intermediate.dense.weight", inter, c);
        interBias = w.Read($"{path}.intermediate.dense.bias", inter);
        outWeight = w.Read($"{path}.output.dense.weight", c, inter);
        outBias = w.Read($"{path}.output.dense.bias", c);
        (outLnWeight, outLnBias) = BertModel.ReadLayerNorm(w, $"{path}.output.LayerNorm", c);
    }

    public long ParameterCount => (long)qkvWeight.Length + qkvBias.Length + attnOutWeight.Length + attnOutBias.Length
        + interWeight.Length + interBias.Length + outWeight.Length + outBias.Length + 4L * c;

    /// <summary>ws.X [B, T, C] in, ws.X [B, T, C] out.</summary>
    public void Forward(BertModel.Workspace ws, int batch, int seq, BertModel.ActivationFn act)
    {
        int n = batch * seq, headDim = c / heads;
        var x = ws.X.AsSpan(0, n * c);
        var h = ws.H.AsSpan(0, n * c);
        var tmp = ws.Tmp.AsSpan(0, n * c);
        var qkv = ws.Qkv.AsSpan(0, n * 3 * c);
        var ctx = ws.Ctx.AsSpan(0, n * c);
        var mid = ws.Inter.AsSpan(0, n * inter);

        // Self-attention: qkv [B, T, 3C] = x · Wqkvᵀ + b; ctx [B, T, C] = softmax(q·kᵀ/√D + mask) · v per head.
        Linear.Forward(x, qkvWeight, qkvBias, qkv, n, c, 3 * c);
        Attention.Forward(qkv, qkv[c..], qkv[(2 * c)..], 3 * c, ws.MaskBias.AsSpan(0, n), ctx,
            ws.Probs.AsSpan(0, batch * heads * seq * seq), batch, seq, heads, headDim, 1f / MathF.Sqrt(headDim));
        // BertSelfOutput: h = LayerNorm(ctx · Woᵀ + b + x).
        Linear.Forward(ctx, attnOutWeight, attnOutBias, tmp, n, c, c);
        System.Numerics.Tensors.TensorPrimitives.Add(tmp, x, tmp);
        LayerNorm.Forward(tmp, attnLnWeight, attnLnBias, h, ws.Mean, ws.Rstd, n, c, eps);
        // BertIntermediate + BertOutput: x = LayerNorm(act(h · Wiᵀ + bi) · Woᵀ + bo + h).
        Linear.Forward(h, interWeight, interBias, mid, n, c, inter);
        act(mid, mid);
        Linear.Forward(mid, outWeight, outBias, tmp, n, inter, c);
        System.Numerics.Tensors.TensorPrimitives.Add(tmp, h, tmp);
        LayerNorm.Forward(tmp, outLnWeight, outLnBias, x, ws.Mean, ws.Rstd, n, c, eps);
    }
}
