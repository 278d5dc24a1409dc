using Skald.Models.LateInteraction;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Models;

namespace Skald.Retrieval.Index;

/// <summary><see cref="IndexBuilder"/>'s re-encoding of a late-interaction or BGE-M3 index: every chunk's vectors made again by a (new) model.</summary>
public static partial class IndexBuilder
{
    /// <summary>
    /// Encodes every live chunk of the late-interaction (ColBERT) or BGE-M3 index in <paramref name="folder"/> again with
    /// <paramref name="model"/> (loaded from <paramref name="modelPath"/>: the index's model after a change, or another
    /// model of the index's kind: a <see cref="MultiVectorEmbeddingModel"/> for a ColBERT index, a
    /// <see cref="BgeM3EmbeddingModel"/> for a BGE-M3 one), as <see cref="Build"/> would over the same records: records
    /// (ids, text, metadata, in their order), chunking, BM25 settings and the token vectors' number format stay (a BGE-M3
    /// index's stored outputs too, whatever the model's <see cref="BgeM3EmbeddingModel.Outputs"/> say), deleted rows are
    /// dropped, and a PLAID index's codec is trained again on the new (ColBERT) vectors (<paramref name="plaid"/>: its
    /// settings, null: the bits the index has and ColBERTv2's centroid count for the new vectors). The model's name,
    /// widths, document pooling (<see cref="MultiVectorEmbeddingModel.PoolFactor"/>), fingerprint and stamp are recorded. Written through <see cref="IndexWriter"/> under the write lock, so a
    /// write killed at any moment leaves the old index or the new one; <paramref name="cancellationToken"/> stops the
    /// encoding with nothing written. Another kind of index, or a model of another kind, is an
    /// <see cref="EvaluationException"/> naming the folder.
    /// </summary>
    public static IndexManifest Reencode(string folder, IEmbeddingModel model, string modelPath, Plaid.PlaidOptions? plaid = null,
        Action<int, int>? progress = null, CancellationToken cancellationToken = default)
    {
        using var writing = IndexWriteLock.Take(folder);
        IndexManifest manifest;
        List<IndexRecord> records;
        using (var index = SearchIndex.Open(folder))
        {
            manifest = index.Manifest;
            if (manifest.MultiVector is null && manifest.BgeM3 is null)
                throw new EvaluationException($"{folder}: re-encoding with a model is for a late-interaction (ColBERT) or BGE-M3 index; this one holds " +
                    $"{(manifest.Sparse ? "sparse rows" : "single vectors")} (index reindex without --model lays a dense index's stored rows out anew)");
            records = [.. Enumerable.Range(0, index.Records.Count).Where(r => !index.Deleted.Contains(r)).Select(r => index.Records[r])];
        }
        var multi = model as MultiVectorEmbeddingModel;
        var m3 = model as BgeM3EmbeddingModel;
        if (manifest.BgeM3 is not null ? m3 is null : multi is null)
            throw new EvaluationException($"{folder}: the index holds {(manifest.BgeM3 is not null ? "BGE-M3 outputs" : $"token vectors ({manifest.MultiVector})")}; " +
                $"{model.Name} is not {(manifest.BgeM3 is not null ? "a BGE-M3 model" : "a late-interaction model")}");
        var precision = manifest.TokenFormat(Path.Combine(folder, IndexWriter.ManifestFile));
        int bits = manifest.PlaidBits;
        var stored = manifest.BgeM3?.Stored ?? 0;
        manifest = ModelFingerprint.Record(manifest with
        {
            Model = Path.GetFullPath(modelPath), ModelName = model.Name, Dimension = model.Dimension, MultiVector = multi?.Kind,
            PoolFactor = multi is { PoolFactor: > 1 } ? multi.PoolFactor : null, // the new vectors' pooling, as Build records it
            BgeM3 = m3 is null ? null : BgeM3Storage.For(m3.Encoder, stored),
            Similarity = IndexManifest.SimilarityOf(model.Similarity, distance: false), // token vectors: MaxSim of unit (or raw dot) vectors
            ModelSha256 = null, ModelFilesStamp = null, PlaidBits = 0, PlaidCentroids = 0,
        }, modelPath);
        Plaid.PlaidWrite? Coded(TokenVectors[] tokens)
        {
            if (precision != TokenPrecision.Plaid) return null;
            var codec = TrainPlaid(folder, tokens, manifest.TokenDimension, plaid ?? new Plaid.PlaidOptions { Bits = bits });
            manifest = manifest with { PlaidBits = codec.Bits, PlaidCentroids = codec.CentroidCount };
            return new Plaid.PlaidWrite(codec);
        }
        if (m3 is not null)
        {
            var outputs = EmbedBgeM3(m3, records, stored, progress, cancellationToken);
            var colbertCodes = Coded([.. outputs.Select(o => o.Colbert!)]);
            WriteBgeM3(folder, manifest, records, AnalyzerOf(manifest), null, [], outputs, colbertCodes);
            return manifest with { Rows = records.Count };
        }
        var vectors = Embed(model, records, true, progress, cancellationToken, out var tokens);
        var coded = Coded(tokens!);
        return new DenseLayout().Write(folder, manifest, records, vectors, AnalyzerOf(manifest), new Bm25Parameters(manifest.K1, manifest.B), null, tokens, coded);
    }
}
