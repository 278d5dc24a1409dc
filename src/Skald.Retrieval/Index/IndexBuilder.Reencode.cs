using Skald.Retrieval.Bm25;
using Skald.Retrieval.Models;

namespace Skald.Retrieval.Index;

/// <summary><see cref="IndexBuilder"/>'s re-encoding of a late-interaction index: every chunk's token vectors made again by a (new) model.</summary>
public static partial class IndexBuilder
{
    /// <summary>
    /// Encodes every live chunk of the late-interaction (ColBERT) index in <paramref name="folder"/> again with
    /// <paramref name="model"/> (loaded from <paramref name="modelPath"/>: the index's model after a change, or another
    /// late-interaction model), as <see cref="Build"/> would over the same records: records (ids, text, metadata, in
    /// their order), chunking, BM25 settings and the token vectors' number format stay, deleted rows are dropped, and a
    /// PLAID index's codec is trained again on the new vectors (<paramref name="plaid"/>: its settings, null: the bits the
    /// index has and ColBERTv2's centroid count for the new vectors). The model's name, width, fingerprint and stamp are
    /// recorded. Written through <see cref="IndexWriter"/> under the write lock, so a write killed at any moment leaves
    /// the old index or the new one; <paramref name="cancellationToken"/> stops the encoding with nothing written.
    /// Another kind of index is an <see cref="EvaluationException"/> naming the folder.
    /// </summary>
    public static IndexManifest Reencode(string folder, MultiVectorEmbeddingModel model, string modelPath, Plaid.PlaidOptions? plaid = null,
        Action<int, int>? progress = null, CancellationToken cancellationToken = default)
    {
        using var writing = IndexWriteLock.Take(folder);
        IndexManifest manifest;
        List<IndexRecord> records;
        using (var index = SearchIndex.Open(folder))
        {
            manifest = index.Manifest;
            if (manifest.MultiVector is null)
                throw new EvaluationException($"{folder}: re-encoding with a model is for a late-interaction (ColBERT) index; this one holds " +
                    $"{(manifest.BgeM3 is not null ? "BGE-M3 outputs" : manifest.Sparse ? "sparse rows" : "single vectors")} (index reindex without --model lays a dense index's stored rows out anew)");
            records = [.. Enumerable.Range(0, index.Records.Count).Where(r => !index.Deleted.Contains(r)).Select(r => index.Records[r])];
        }
        var precision = manifest.TokenFormat(Path.Combine(folder, IndexWriter.ManifestFile));
        int bits = manifest.PlaidBits;
        manifest = ModelFingerprint.Record(manifest with
        {
            Model = Path.GetFullPath(modelPath), ModelName = model.Name, Dimension = model.Dimension, MultiVector = model.Kind,
            Similarity = model.Similarity == Skald.Models.Modules.SimilarityFunction.Dot ? "dot" : "cosine",
            ModelSha256 = null, ModelFilesStamp = null, PlaidBits = 0, PlaidCentroids = 0,
        }, modelPath);
        var vectors = Embed(model, records, true, progress, cancellationToken, out var tokens);
        Plaid.PlaidWrite? coded = null;
        if (precision == TokenPrecision.Plaid)
        {
            var codec = TrainPlaid(folder, tokens!, manifest.Dimension, plaid ?? new Plaid.PlaidOptions { Bits = bits });
            manifest = manifest with { PlaidBits = codec.Bits, PlaidCentroids = codec.CentroidCount };
            coded = new Plaid.PlaidWrite(codec);
        }
        return new DenseLayout().Write(folder, manifest, records, vectors, AnalyzerOf(manifest), new Bm25Parameters(manifest.K1, manifest.B), null, tokens, coded);
    }
}
