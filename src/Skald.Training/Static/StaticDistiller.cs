using Skald.Models;
using Skald.Models.Architectures;

namespace Skald.Training.Static;

/// <summary>
/// Distils a static model from any transformer Skald loads, as Model2Vec does: every vocabulary token is run through
/// the teacher alone between its special tokens and the mean of the three output vectors (last_hidden_state) is the
/// token's vector; then PCA to the chosen width (<see cref="Pca"/>) and SIF weighting of the rows. The result keeps
/// the teacher's tokenizer and can be trained further with <c>skald train</c> (<c>model.type: static</c>).
/// </summary>
public static class StaticDistiller
{
    /// <summary>Distils <paramref name="teacher"/> into a static model of <paramref name="pcaDims"/> dimensions.</summary>
    /// <param name="teacher">Any transformer model folder Skald loads (its transformer output is used, before pooling).</param>
    /// <param name="pcaDims">Output width; above the teacher's width it is the teacher's width (PCA as a rotation only).
    /// When the vocabulary has no more rows than this, PCA is skipped (Model2Vec).</param>
    /// <param name="options">Weighting, batching and progress.</param>
    public static StaticTable Distill(SentenceEncoder teacher, int pcaDims = 256, StaticDistillOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentOutOfRangeException.ThrowIfLessThan(pcaDims, 1);
        options ??= new StaticDistillOptions();
        if (options.SifCoefficient is { } a && !(a > 0 && a < 1))
            throw new ArgumentOutOfRangeException(nameof(options), "SifCoefficient must be in (0, 1)");
        int vocab = teacher.Tokenizer.VocabSize, width = teacher.Transformer.HiddenSize;
        var vectors = TokenEmbeddings(teacher, options);
        int dims = width;
        if (pcaDims < vocab)
        {
            dims = Math.Min(pcaDims, width);
            vectors = Pca.Fit(vectors, vocab, width, dims).Transform(vectors, vocab);
        }
        if (options.SifCoefficient is { } sif)
        {
            var weights = SifWeights(vocab, sif, options.Corpus is null ? null : TokenCounts(teacher, options.Corpus));
            for (int r = 0; r < vocab; r++)
            {
                var row = vectors.AsSpan(r * dims, dims);
                System.Numerics.Tensors.TensorPrimitives.Multiply(row, weights[r], row);
            }
        }
        string json = File.ReadAllText(Path.Combine(teacher.Folder.TransformerPath, "tokenizer.json"));
        return new StaticTable(vectors, vocab, dims, json);
    }

    /// <summary>
    /// The teacher's vector of every token id [vocab, hidden]: mean of last_hidden_state over [start, id, end] (or
    /// reversed, see <see cref="StaticDistillOptions.ReverseSpecialTokens"/>); a tokenizer without special tokens
    /// gives [id] alone. Ids past the transformer's embedding table get zeros.
    /// </summary>
    public static float[] TokenEmbeddings(SentenceEncoder teacher, StaticDistillOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        options ??= new StaticDistillOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1, nameof(options));
        int vocab = teacher.Tokenizer.VocabSize, c = teacher.Transformer.HiddenSize;
        // Model2Vec's trick: the special tokens are the first and last ids of the encoding of "A".
        var withSpecial = teacher.Tokenizer.Encode("A", addSpecialTokens: true).Ids;
        var plain = teacher.Tokenizer.Encode("A", addSpecialTokens: false).Ids;
        int[] prefix = [], suffix = [];
        if (withSpecial.Length > plain.Length && withSpecial.Length >= 2)
        {
            (int start, int end) = (withSpecial[0], withSpecial[^1]);
            prefix = [options.ReverseSpecialTokens ? end : start];
            suffix = [options.ReverseSpecialTokens ? start : end];
        }
        int seq = prefix.Length + 1 + suffix.Length;
        int limit = teacher.Transformer.Config.VocabSize > 0 ? Math.Min(vocab, teacher.Transformer.Config.VocabSize) : vocab;
        var result = new float[(long)vocab * c];
        var ids = new int[options.BatchSize * seq];
        var mask = new int[ids.Length];
        var types = new int[ids.Length];
        Array.Fill(mask, 1);
        var hidden = new float[ids.Length * c];
        for (int first = 0; first < limit; first += options.BatchSize)
        {
            int b = Math.Min(options.BatchSize, limit - first);
            for (int i = 0; i < b; i++)
            {
                int o = i * seq;
                prefix.CopyTo(ids, o);
                ids[o + prefix.Length] = first + i;
                suffix.CopyTo(ids, o + prefix.Length + 1);
            }
            teacher.TokenStates(new TokenBatch(ids[..(b * seq)], mask[..(b * seq)], types[..(b * seq)], b, seq), hidden);
            for (int i = 0; i < b; i++)
            {
                var dst = result.AsSpan((first + i) * c, c);
                for (int t = 0; t < seq; t++)
                    System.Numerics.Tensors.TensorPrimitives.Add(dst, hidden.AsSpan((i * seq + t) * c, c), dst);
                System.Numerics.Tensors.TensorPrimitives.Divide(dst, seq, dst);
            }
            options.Progress?.Invoke(first + b, vocab);
        }
        return result;
    }

    /// <summary>
    /// SIF weights a / (a + p) per row. p from <paramref name="counts"/> (count / total) when given, else Model2Vec's
    /// Zipf estimate: p(row r) = (1 / (r + 2)) / Σ_s 1 / (s + 2).
    /// </summary>
    public static float[] SifWeights(int vocab, float sifCoefficient, long[]? counts = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocab, 1);
        if (counts is not null && counts.Length != vocab) throw new ArgumentException($"{counts.Length} counts for {vocab} tokens", nameof(counts));
        var p = new double[vocab];
        if (counts is null)
        {
            double sum = 0;
            for (int r = 0; r < vocab; r++) sum += 1.0 / (r + 2);
            for (int r = 0; r < vocab; r++) p[r] = 1.0 / (r + 2) / sum;
        }
        else
        {
            double total = Math.Max(1, counts.Sum());
            for (int r = 0; r < vocab; r++) p[r] = counts[r] / total;
        }
        var w = new float[vocab];
        for (int r = 0; r < vocab; r++) w[r] = (float)(sifCoefficient / (sifCoefficient + p[r]));
        return w;
    }

    /// <summary>How often each token id occurs in <paramref name="corpus"/> (tokenised as the static model does).</summary>
    public static long[] TokenCounts(SentenceEncoder teacher, IReadOnlyList<string> corpus)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(corpus);
        var counts = new long[teacher.Tokenizer.VocabSize];
        foreach (var e in teacher.Tokenizer.EncodeBatch(corpus, addSpecialTokens: false))
        {
            foreach (int id in e.Ids) counts[id]++;
        }
        return counts;
    }
}
