using Skald.Models;
using Skald.Models.BgeM3;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Models;
using Skald.Retrieval.Plaid;

namespace Skald.Retrieval.Index;

/// <summary>
/// <see cref="IndexBuilder"/>'s BGE-M3 members: the outputs an index stores (<see cref="IndexManifest.BgeM3"/>) embedded
/// from one pass per batch and handed to <see cref="IndexWriter.Write"/> as a dense, sparse and late-interaction index
/// hands it theirs.
/// </summary>
public static partial class IndexBuilder
{
    /// <summary>
    /// Throws <see cref="EvaluationException"/> naming both when <paramref name="model"/> is not of the index's kind: a
    /// BGE-M3 model for an index of another, another model for a BGE-M3 index, or a BGE-M3 model whose widths differ from
    /// those stored.
    /// </summary>
    private static void CheckBgeM3Model(string folder, IndexManifest manifest, IEmbeddingModel model)
    {
        var m3 = model as BgeM3EmbeddingModel;
        if (manifest.BgeM3 is null && m3 is null) return;
        if (manifest.BgeM3 is null || m3 is null)
            throw new EvaluationException($"{folder}: the index holds {(manifest.BgeM3 is null ? "another model's vectors" : "BGE-M3 outputs")} of {manifest.Model}; " +
                $"this model ({model.Name}) {(m3 is null ? "is not BGE-M3" : "makes BGE-M3 outputs")}");
        var stored = manifest.BgeM3;
        if (m3.Dimension != manifest.Dimension || (stored.ColbertDimension > 0 && stored.ColbertDimension != m3.Encoder.ColbertDimension)
            || (stored.VocabularySize > 0 && stored.VocabularySize != m3.Encoder.VocabularySize))
            throw new EvaluationException($"{folder}: the index holds BGE-M3 outputs of {manifest.Model} ({manifest.Dimension}-d dense, ColBERT {stored.ColbertDimension}, vocabulary {stored.VocabularySize}); " +
                $"this model makes {m3.Dimension}-d dense, ColBERT {m3.Encoder.ColbertDimension}, vocabulary {m3.Encoder.VocabularySize}");
    }

    /// <summary>The records' <paramref name="outputs"/> as documents, <see cref="EmbedBatch"/> texts at a time.</summary>
    private static BgeM3Output[] EmbedBgeM3(BgeM3EmbeddingModel model, IReadOnlyList<IndexRecord> records, BgeM3Outputs outputs, Action<int, int>? progress,
        CancellationToken cancellationToken)
    {
        var result = new BgeM3Output[records.Count];
        for (int start = 0; start < records.Count; start += EmbedBatch)
        {
            int n = Math.Min(EmbedBatch, records.Count - start);
            var encoded = model.Encode([.. Enumerable.Range(start, n).Select(i => records[i].FullText)], TextRole.Document, outputs, cancellationToken);
            Array.Copy(encoded, 0, result, start, n);
            progress?.Invoke(start + n, records.Count);
        }
        return result;
    }

    /// <summary>
    /// Writes a BGE-M3 index of <paramref name="records"/>: the first <paramref name="keptRows"/>.Count are rows of
    /// <paramref name="old"/> (their outputs copied out of its mappings), the rest <paramref name="fresh"/>'s. With
    /// <paramref name="plaid"/> the ColBERT vectors are PLAID coded: kept rows' codes copied (as <see cref="PlaidWrite"/>
    /// names them), fresh rows coded with its codec.
    /// </summary>
    private static void WriteBgeM3(string folder, IndexManifest manifest, IReadOnlyList<IndexRecord> records, Analyzer analyzer, SearchIndex? old,
        List<int> keptRows, BgeM3Output[] fresh, PlaidWrite? plaid = null)
    {
        var stored = manifest.BgeM3!.Stored;
        int[] sources = [.. Enumerable.Range(0, keptRows.Count + fresh.Length)];
        var bm25 = Analyse(manifest, analyzer, records, new Bm25Parameters(manifest.K1, manifest.B));
        IndexWriter.Write(folder, manifest, records,
            (stored & BgeM3Outputs.Dense) != 0 ? DenseRows(old, keptRows, fresh) : [],
            bm25,
            sparse: (stored & BgeM3Outputs.Sparse) != 0 ? keptRows.Select(r => old!.SparseRow(r)!).Concat(fresh.Select(o => o.Sparse!)) : null,
            tokens: (stored & BgeM3Outputs.Colbert) != 0
                ? old is null || plaid is not null ? fresh.Select(o => (ReadOnlyMemory<float>)o.Colbert!.Values) : TokenRows(old, keptRows, [.. fresh.Select(o => o.Colbert!)], sources)
                : null,
            plaid: plaid);
    }

    /// <summary>The dense rows to write: kept rows read from the old index's mapping (one buffer), then fresh ones.</summary>
    private static IEnumerable<ReadOnlyMemory<float>> DenseRows(SearchIndex? old, List<int> keptRows, BgeM3Output[] fresh)
    {
        if (keptRows.Count > 0)
        {
            var row = new float[old!.Manifest.Dimension];
            foreach (int r in keptRows)
            {
                old.Vector(r).CopyTo(row);
                yield return row;
            }
        }
        foreach (var o in fresh) yield return o.Dense!;
    }
}
