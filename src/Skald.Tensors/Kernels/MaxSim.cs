using System.Numerics.Tensors;
using Skald.Tensors.Gemm;

namespace Skald.Tensors.Kernels;

/// <summary>
/// Late interaction's MaxSim (ColBERT): score(q, d) = Σᵢ maxₜ qᵢ · dₜ over the query's token vectors qᵢ and the
/// document's dₜ, both row-major [tokens × dim]. A document without tokens scores 0. Functions over spans; nothing is
/// allocated once the calling thread's packing buffers have grown (<see cref="MaxSimBlock"/>). <see cref="ScoreScalar"/>
/// is the scalar twin whose bits <see cref="Score"/> gives.
/// </summary>
/// <remarks>
/// Upstream: https://github.com/stanford-futuredata/ColBERT (colbert/modeling/colbert.py, colbert_score: the max over a
/// document's real tokens) and https://github.com/lightonai/pylate/blob/1f1f47cee5df35ebe6fd2286a0a205a1523e4119/pylate/scores/colbert.py
/// (colbert_scores, which equals it for one document at a time; batched it pads shorter documents with zero vectors).
/// </remarks>
public static class MaxSim
{
    /// <summary>
    /// The MaxSim of one query against one document, as a small GEMM (<see cref="MaxSimBlock"/>: the query packed once
    /// into k-major blocks, register tiles of document rows × query tokens, a vertical max per query token; the loop the
    /// float16 / int8 kernels share). Bit for bit <see cref="ScoreScalar"/>.
    /// </summary>
    public static float Score(ReadOnlySpan<float> query, ReadOnlySpan<float> document, int dim) => ScoreOn(query, document, dim, MaxSimBlock.Path);

    /// <summary><see cref="Score"/> on the given tiles (the scalar twin where this CPU does not run them: <see cref="MaxSimBlock.Runs"/>); the tests run every width this CPU has.</summary>
    internal static float ScoreOn(ReadOnlySpan<float> query, ReadOnlySpan<float> document, int dim, ManagedGemmKernel path)
    {
        Check(query, document, dim);
        int dt = document.Length / dim;
        if (dt == 0) return 0f;
        return !MaxSimBlock.Runs(path) ? ScoreScalar(query, document, dim) : MaxSimBlock.Score(query, dim, dt, document, default, default, default, path);
    }

    /// <summary>
    /// The MaxSim of one query against each of a batch of documents stored back to back: document j is the rows
    /// <paramref name="offsets"/>[j] .. <paramref name="offsets"/>[j + 1] of <paramref name="documents"/>; scores[j] its score.
    /// </summary>
    public static void Scores(ReadOnlySpan<float> query, ReadOnlySpan<float> documents, ReadOnlySpan<int> offsets, int dim, Span<float> scores)
    {
        if (offsets.Length != scores.Length + 1) throw new ArgumentException("offsets must hold one more entry than scores", nameof(offsets));
        for (int j = 0; j < scores.Length; j++)
        {
            int start = offsets[j], end = offsets[j + 1];
            if (start < 0 || end < start || (long)end * dim > documents.Length)
                throw new ArgumentException($"document {j}'s rows {start}..{end} are outside the {documents.Length / Math.Max(dim, 1)} rows given", nameof(offsets));
            scores[j] = Score(query, documents.Slice(start * dim, (end - start) * dim), dim);
        }
    }

    /// <summary>The scalar twin of <see cref="Score"/>: one fused multiply-add at a time, in index order.</summary>
    public static float ScoreScalar(ReadOnlySpan<float> query, ReadOnlySpan<float> document, int dim)
    {
        Check(query, document, dim);
        int qt = query.Length / dim, dt = document.Length / dim;
        if (dt == 0) return 0f;
        float sum = 0f;
        for (int i = 0; i < qt; i++)
        {
            float best = float.NegativeInfinity;
            for (int t = 0; t < dt; t++)
            {
                float s = 0f;
                for (int k = 0; k < dim; k++) s = MathF.FusedMultiplyAdd(query[i * dim + k], document[t * dim + k], s);
                if (s > best) best = s;
            }
            sum += best;
        }
        return sum;
    }

    /// <summary>
    /// The backward of <c>scale · </c><see cref="Score"/>: with upstream gradient <paramref name="dScore"/>, each query row
    /// qᵢ receives scale · dScore · d_t* and the document row d_t* receives scale · dScore · qᵢ, t* the row holding qᵢ's
    /// maximum (the first of equal ones, as <see cref="Score"/> keeps). Gradients are ADDED into
    /// <paramref name="dQuery"/> and <paramref name="dDocument"/> (shaped as the inputs). scale 1 is ColBERT's sum over
    /// query tokens; 1/(query tokens) the mean BGE-M3's ColBERT score takes. A document without tokens gives nothing.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> query, ReadOnlySpan<float> document, int dim, float scale, float dScore,
        Span<float> dQuery, Span<float> dDocument)
    {
        CheckBackward(query, document, dim, dQuery, dDocument);
        int qt = query.Length / dim, dt = document.Length / dim;
        if (dt == 0) return;
        float g = scale * dScore;
        for (int i = 0; i < qt; i++)
        {
            var q = query.Slice(i * dim, dim);
            int at = 0;
            float best = float.NegativeInfinity;
            for (int t = 0; t < dt; t++)
            {
                float s = TensorPrimitives.Dot(q, document.Slice(t * dim, dim));
                if (s > best)
                {
                    best = s;
                    at = t;
                }
            }
            var dq = dQuery.Slice(i * dim, dim);
            TensorPrimitives.MultiplyAdd(document.Slice(at * dim, dim), g, dq, dq);
            var dd = dDocument.Slice(at * dim, dim);
            TensorPrimitives.MultiplyAdd(q, g, dd, dd);
        }
    }

    /// <summary>The scalar twin of <see cref="Backward"/>: one multiply-add at a time, in index order.</summary>
    public static void BackwardScalar(ReadOnlySpan<float> query, ReadOnlySpan<float> document, int dim, float scale, float dScore,
        Span<float> dQuery, Span<float> dDocument)
    {
        CheckBackward(query, document, dim, dQuery, dDocument);
        int qt = query.Length / dim, dt = document.Length / dim;
        if (dt == 0) return;
        float g = scale * dScore;
        for (int i = 0; i < qt; i++)
        {
            int at = 0;
            float best = float.NegativeInfinity;
            for (int t = 0; t < dt; t++)
            {
                float s = 0f;
                for (int k = 0; k < dim; k++) s += query[i * dim + k] * document[t * dim + k];
                if (s > best)
                {
                    best = s;
                    at = t;
                }
            }
            for (int k = 0; k < dim; k++)
            {
                dQuery[i * dim + k] += g * document[at * dim + k];
                dDocument[at * dim + k] += g * query[i * dim + k];
            }
        }
    }

    private static void CheckBackward(ReadOnlySpan<float> query, ReadOnlySpan<float> document, int dim, Span<float> dQuery, Span<float> dDocument)
    {
        Check(query, document, dim);
        if (dQuery.Length != query.Length || dDocument.Length != document.Length)
            throw new ArgumentException($"gradients of {dQuery.Length} and {dDocument.Length} values for a query of {query.Length} and a document of {document.Length}");
    }

    private static void Check(ReadOnlySpan<float> query, ReadOnlySpan<float> document, int dim)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        if (query.Length % dim != 0 || document.Length % dim != 0)
            throw new ArgumentException($"token vectors of width {dim} do not fill the query ({query.Length} values) or document ({document.Length} values)");
    }
}
