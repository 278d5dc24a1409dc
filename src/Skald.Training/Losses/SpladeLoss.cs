using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// sentence-transformers' SpladeLoss for sparse encoders: an inner loss plus FLOPS regularisers that push the
/// embeddings towards zeros (https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/sparse_encoder/losses/SpladeLoss.py
/// and FlopsLoss.py):
/// <code>
/// loss = inner(columns) + λ_d · FLOPS(documents) + λ_q · FLOPS(queries)
/// FLOPS(x [N, V]) = Σ_v (1/N · Σ_n x[n, v])²          dFLOPS/dx[n, v] = 2 · mean_v / N
/// </code>
/// The documents are every column after the first, stacked (or all columns with <see cref="DocumentsOnly"/>:
/// use_document_regularizer_only, for symmetric pairs); the queries column 0 (no query term when λ_q is null). With a
/// threshold (FlopsLoss's <c>threshold</c>, "FLOPS with l0 masking") a row with that many active entries or fewer is
/// zeroed before the mean (it still counts in N) and gets no regulariser gradient.
/// </summary>
public sealed class SpladeLoss : EmbeddingLoss
{
    /// <summary>Wraps <paramref name="inner"/> with document weight <paramref name="documentWeight"/> and query weight <paramref name="queryWeight"/> (null: none).</summary>
    public SpladeLoss(IEmbeddingLoss inner, float documentWeight, float? queryWeight = null, bool documentsOnly = false,
        int? documentThreshold = null, int? queryThreshold = null)
    {
        DocumentThreshold = documentThreshold;
        QueryThreshold = queryThreshold;
        ArgumentNullException.ThrowIfNull(inner);
        if (documentWeight < 0 || queryWeight is < 0) throw new ArgumentOutOfRangeException(nameof(documentWeight), "regulariser weights must be ≥ 0");
        if (documentsOnly && queryWeight is not null)
            throw new ArgumentException("with documents only every column is a document: the query weight does not apply", nameof(queryWeight));
        Inner = inner;
        DocumentWeight = documentWeight;
        QueryWeight = queryWeight;
        DocumentsOnly = documentsOnly;
    }

    /// <summary>The wrapped loss.</summary>
    public IEmbeddingLoss Inner { get; }

    /// <summary>λ_d, the documents' FLOPS weight (document_regularizer_weight).</summary>
    public float DocumentWeight { get; }

    /// <summary>λ_q, the queries' FLOPS weight (query_regularizer_weight); null: no query term.</summary>
    public float? QueryWeight { get; }

    /// <summary>document_regularizer_threshold: rows with at most this many active entries leave the documents' FLOPS (null: none).</summary>
    public int? DocumentThreshold { get; }

    /// <summary>query_regularizer_threshold: the same for the queries' FLOPS.</summary>
    public int? QueryThreshold { get; }

    /// <summary>Every column regularised as documents (use_document_regularizer_only).</summary>
    public bool DocumentsOnly { get; }

    /// <summary>The last batch's terms: the inner loss, λ_d·FLOPS(documents), λ_q·FLOPS(queries).</summary>
    public (float Inner, float Document, float Query) LastTerms { get; private set; }

    /// <inheritdoc />
    public override string Name => "splade_" + Inner.Name;

    /// <inheritdoc />
    public override float Compute(IReadOnlyList<EmbeddingBatch> columns, IReadOnlyList<float>? labels,
        IReadOnlyList<EmbeddingBatch> gradients)
    {
        float inner = Inner.Compute(columns, labels, gradients);
        int first = DocumentsOnly ? 0 : 1;
        double document = DocumentWeight * Flops(columns, gradients, first, columns.Count, DocumentWeight, DocumentThreshold);
        double query = QueryWeight is { } q && !DocumentsOnly ? q * Flops(columns, gradients, 0, 1, q, QueryThreshold) : 0;
        LastTerms = (inner, (float)document, (float)query);
        return (float)(inner + document + query);
    }

    /// <summary>
    /// FLOPS over the rows of columns [<paramref name="from"/>, <paramref name="to"/>) stacked; adds
    /// <paramref name="weight"/> × its gradient to theirs; rows with at most <paramref name="threshold"/> active entries
    /// count as zeros.
    /// </summary>
    private static double Flops(IReadOnlyList<EmbeddingBatch> columns, IReadOnlyList<EmbeddingBatch> gradients, int from, int to, float weight,
        int? threshold)
    {
        if (from >= to) return 0;
        int v = columns[from].Dim, n = 0;
        var mean = new double[v];
        for (int c = from; c < to; c++)
        {
            for (int r = 0; r < columns[c].Rows; r++)
            {
                var row = columns[c].Row(r);
                n++;
                if (!Counts(row, threshold)) continue;
                for (int j = 0; j < v; j++) mean[j] += row[j];
            }
        }
        if (n == 0) return 0;
        double flops = 0;
        for (int j = 0; j < v; j++)
        {
            mean[j] /= n;
            flops += mean[j] * mean[j];
        }
        double scale = 2.0 * weight / n;
        for (int c = from; c < to; c++)
        {
            for (int r = 0; r < columns[c].Rows; r++)
            {
                if (!Counts(columns[c].Row(r), threshold)) continue;
                var g = gradients[c].Row(r);
                for (int j = 0; j < v; j++) g[j] += (float)(scale * mean[j]);
            }
        }
        return flops;
    }

    /// <summary>Whether a row enters the FLOPS mean: more than <paramref name="threshold"/> non-zero entries (always without one).</summary>
    private static bool Counts(ReadOnlySpan<float> row, int? threshold)
    {
        if (threshold is not { } t) return true;
        int active = 0;
        foreach (float x in row) active += x != 0f ? 1 : 0;
        return active > t;
    }
}
