namespace Skald.Training.Losses;

/// <summary>
/// One text's BGE-M3 lexical weights in training, as FlagEmbedding's <c>_sparse_embedding</c> makes them in training mode:
/// each token's weight relu(sparse_linear(h_t)), scattered to its token id, the max over the text's positions per id,
/// the ids of the cls, eos, pad and unk tokens zeroed. Held as the ids with a positive weight (ascending), each with its
/// weight and the token row it came from (the max's argmax, the first of equal ones), which is where the score's
/// gradient goes: the relu passes it on for a positive weight, and an id whose weight is 0 gives none.
/// </summary>
/// <remarks>Upstream: https://github.com/FlagOpen/FlagEmbedding/blob/7ed43d67ec03fbe5c31c0992dbfa941fb1860549/FlagEmbedding/finetune/embedder/encoder_only/m3/modeling.py (_sparse_embedding, compute_sparse_score)</remarks>
public sealed class LexicalWeights
{
    private LexicalWeights(int[] ids, float[] weights, int[] rows)
    {
        Ids = ids;
        Weights = weights;
        Rows = rows;
    }

    /// <summary>Token ids with a positive weight, ascending.</summary>
    public int[] Ids { get; }

    /// <summary>Weight of each id.</summary>
    public float[] Weights { get; }

    /// <summary>The token row (index into the text's logits) each weight came from.</summary>
    public int[] Rows { get; }

    /// <summary>
    /// The weights of one text from its tokens' head outputs <paramref name="logits"/> (before the relu) and token ids
    /// <paramref name="ids"/> (same length); <paramref name="unused"/> (ascending) never get a weight.
    /// </summary>
    public static LexicalWeights From(ReadOnlySpan<float> logits, ReadOnlySpan<int> ids, ReadOnlySpan<int> unused)
    {
        if (logits.Length != ids.Length) throw new ArgumentException($"{logits.Length} weights for {ids.Length} tokens", nameof(ids));
        var order = new int[logits.Length];
        int n = 0;
        for (int t = 0; t < logits.Length; t++)
        {
            if (logits[t] > 0f && unused.BinarySearch(ids[t]) < 0) order[n++] = t;
        }
        var keys = new int[n];
        for (int k = 0; k < n; k++) keys[k] = ids[order[k]];
        Array.Sort(keys, order, 0, n); // unstable: equal ids are told apart below by their rows
        int distinct = 0;
        for (int k = 0; k < n; k++) distinct += k == 0 || keys[k] != keys[k - 1] ? 1 : 0;
        var outIds = new int[distinct];
        var outWeights = new float[distinct];
        var outRows = new int[distinct];
        for (int k = 0, j = -1; k < n; k++)
        {
            int t = order[k];
            float w = logits[t];
            if (j >= 0 && keys[k] == outIds[j])
            {
                if (w > outWeights[j] || (w == outWeights[j] && t < outRows[j]))
                {
                    outWeights[j] = w;
                    outRows[j] = t;
                }
                continue;
            }
            j++;
            outIds[j] = keys[k];
            outWeights[j] = w;
            outRows[j] = t;
        }
        return new LexicalWeights(outIds, outWeights, outRows);
    }

    /// <summary>The lexical score Σ over the ids both hold of w_a · w_b (before the temperature), in double.</summary>
    public static double Score(LexicalWeights a, LexicalWeights b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        double sum = 0;
        for (int i = 0, j = 0; i < a.Ids.Length && j < b.Ids.Length;)
        {
            if (a.Ids[i] < b.Ids[j]) i++;
            else if (a.Ids[i] > b.Ids[j]) j++;
            else sum += (double)a.Weights[i++] * b.Weights[j++];
        }
        return sum;
    }

    /// <summary>
    /// The backward of <see cref="Score"/> with upstream gradient <paramref name="dScore"/>: ADDS d/d(logit) into each
    /// text's token rows (<paramref name="dA"/>, <paramref name="dB"/>, shaped as the logits the weights came from).
    /// </summary>
    public static void Backward(LexicalWeights a, LexicalWeights b, double dScore, Span<double> dA, Span<double> dB)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        for (int i = 0, j = 0; i < a.Ids.Length && j < b.Ids.Length;)
        {
            if (a.Ids[i] < b.Ids[j]) i++;
            else if (a.Ids[i] > b.Ids[j]) j++;
            else
            {
                dA[a.Rows[i]] += dScore * b.Weights[j];
                dB[b.Rows[j]] += dScore * a.Weights[i];
                i++;
                j++;
            }
        }
    }
}
