namespace Skald.Tensors.Autograd;

public static partial class Ops
{
    /// <summary>
    /// sentence-transformers' SparseStaticEmbedding: each text's embedding [V] is <paramref name="weights"/>[v] at every
    /// vocabulary entry v among its token ids (once, however often the token occurs) and 0 elsewhere: y [B, V] with
    /// y[b, v] = presence(b, v)·w[v]. Backward: dw[v] += Σ_b presence(b, v)·dy[b, v].
    /// </summary>
    /// <remarks>Upstream (presence scattered from the attention mask, times the weight):
    /// https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/sparse_encoder/models/SparseStaticEmbedding.py</remarks>
    public static Variable SparseStatic(Tape tape, IReadOnlyList<int[]> ids, Parameter weights)
    {
        if (weights.Shape.Length != 1) throw new ArgumentException($"{weights.Name} must be a [V] vector");
        int batch = ids.Count, v = weights.Length;
        var w = weights.Values.Span;
        var y = tape.NewVariable(batch, v);
        var ys = y.Span;
        ys.Clear();
        for (int b = 0; b < batch; b++)
        {
            var row = ys.Slice(b * v, v);
            foreach (int id in ids[b])
            {
                if ((uint)id >= (uint)v) throw new ArgumentException($"token id {id} is outside the {v} weights");
                row[id] = w[id];
            }
        }
        if (tape.Records(y) && weights.RequiresGrad)
        {
            tape.Record(y, () =>
            {
                var dy = y.Grad;
                var dw = weights.Grad.Span;
                for (int b = 0; b < batch; b++)
                {
                    var row = ids[b];
                    for (int j = 0; j < row.Length; j++)
                        if (Array.IndexOf(row, row[j], 0, j) < 0) dw[row[j]] += dy[b * v + row[j]]; // a token's first occurrence only
                }
            });
        }
        return y;
    }
}
