using Skald.Models.LateInteraction;
using Skald.Retrieval.Models;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Index;

/// <summary>How <see cref="IndexBuilder"/> embeds the records it indexes: dense (or a late-interaction model's token vectors and their means) and sparse rows, a batch at a time.</summary>
public static partial class IndexBuilder
{
    /// <summary>
    /// The records' rows as documents, <see cref="EmbedBatch"/> texts at a time (at unit length with <paramref name="normalize"/>);
    /// a late-interaction model's are its token vectors' means, and <paramref name="tokens"/> the token vectors themselves (else null).
    /// </summary>
    private static float[][] Embed(IEmbeddingModel model, IReadOnlyList<IndexRecord> records, bool normalize, Action<int, int>? progress,
        CancellationToken cancellationToken, out TokenVectors[]? tokens)
    {
        var result = new float[records.Count][];
        var multi = model as MultiVectorEmbeddingModel;
        tokens = multi is null ? null : new TokenVectors[records.Count];
        for (int start = 0; start < records.Count; start += EmbedBatch)
        {
            int n = Math.Min(EmbedBatch, records.Count - start);
            string[] texts = [.. Enumerable.Range(start, n).Select(i => records[i].FullText)];
            float[][] v;
            if (multi is not null)
            {
                var encoded = multi.Encode(texts, TextRole.Document, cancellationToken);
                Array.Copy(encoded, 0, tokens!, start, n);
                v = [.. encoded.Select(MultiVectorEmbeddingModel.Pool)]; // at unit length already (zeros for a text without tokens)
            }
            else v = model.Embed(texts, TextRole.Document, cancellationToken);
            if (normalize && multi is null) v = ExactSearch.Normalize(v);
            Array.Copy(v, 0, result, start, n);
            progress?.Invoke(start + n, records.Count);
        }
        return result;
    }

    /// <summary>A sparse encoder's rows, embedded <see cref="Sparse.SparseRetriever.BlockTexts"/> texts at a time and kept sparse.</summary>
    private static Skald.Models.SparseEmbedding[] EmbedSparse(IEmbeddingModel model, IReadOnlyList<IndexRecord> records, bool normalize,
        int maxActiveDims, Action<int, int>? progress, CancellationToken cancellationToken)
    {
        var result = new Skald.Models.SparseEmbedding[records.Count];
        for (int start = 0; start < records.Count; start += Sparse.SparseRetriever.BlockTexts)
        {
            int n = Math.Min(Sparse.SparseRetriever.BlockTexts, records.Count - start);
            var v = model.Embed([.. Enumerable.Range(start, n).Select(i => records[i].FullText)], TextRole.Document, cancellationToken);
            for (int i = 0; i < n; i++)
            {
                var e = Skald.Models.SparseEmbedding.FromDense(v[i], maxActiveDims > 0 ? maxActiveDims : null);
                result[start + i] = normalize ? e.Normalized() : e;
            }
            progress?.Invoke(start + n, records.Count);
        }
        return result;
    }
}
