using Skald.Models.LateInteraction;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Ivf;
using Skald.Retrieval.Models;

namespace Skald.Retrieval.Index;

/// <summary><see cref="IndexBuilder"/>'s change of an index decided from its rows (<see cref="Update"/>): under the writer lock throughout, or only for its write.</summary>
public static partial class IndexBuilder
{
    /// <summary>Attempts of <see cref="Update"/> with <c>lockOnlyToWrite</c> to embed outside the lock before it decides and embeds under it.</summary>
    private const int UnlockedAttempts = 3;

    /// <summary>
    /// <see cref="Add"/> with the change decided from the index as it is: <paramref name="change"/> is given the index's
    /// live rows (named under <paramref name="documentsRoot"/> when given, as <see cref="Add"/> renames them) and its
    /// manifest as it is then (<see cref="IndexManifest.Reading"/>, <see cref="IndexManifest.NoText"/>), and answers
    /// the records to add and the sources whose rows to drop (<see cref="IndexChange"/>), or null to leave the index as it
    /// is (nothing written; the answer is null too); the embedding and the one atomic write follow as in
    /// <see cref="Add"/>, whose other parameters these are. By default the look, the embedding and the write all happen
    /// under the writer lock (<see cref="IndexWriteLock"/>). With <paramref name="lockOnlyToWrite"/> the look and the
    /// embedding (and whatever reading <paramref name="change"/> does: a sync of a documents folder reads and OCRs the
    /// changed files there) happen without it, and the lock is taken for the write alone: when another writer changed
    /// the index meanwhile (<see cref="IndexGeneration"/>), nothing is written and the whole is done again from the index
    /// as it is then, so no other writer's rows are lost; after <see cref="UnlockedAttempts"/> such attempts the last is
    /// done under the lock throughout.
    /// </summary>
    public static (int Added, int Replaced)? Update(string folder, IEmbeddingModel model, Func<IReadOnlyList<IndexRecord>, IndexManifest, IndexChange?> change,
        Action<int, int>? progress = null, Action<int, int>? linking = null, string? documentsRoot = null, string? modelPath = null,
        bool? replaceDeleted = null, CancellationToken cancellationToken = default, bool lockOnlyToWrite = false)
    {
        for (int attempt = 1; lockOnlyToWrite && attempt < UnlockedAttempts; attempt++)
        {
            var seen = IndexGeneration.Of(folder);
            if (Apply(folder, model, change, progress, linking, documentsRoot, modelPath, replaceDeleted, cancellationToken, null, false, out var embedded) is null)
                return null; // nothing to change
            using var writing = IndexWriteLock.Take(folder, cancellationToken);
            if (IndexGeneration.Of(folder) == seen) // no writer came between: the change stands as decided, its rows as embedded
                return Apply(folder, model, (_, _) => embedded!.Change, progress, linking, documentsRoot, modelPath, replaceDeleted, cancellationToken, embedded, true, out _);
        }
        using (IndexWriteLock.Take(folder, cancellationToken)) // a delete meanwhile would be lost (its tombstones name rows of the index read here)
            return Apply(folder, model, change, progress, linking, documentsRoot, modelPath, replaceDeleted, cancellationToken, null, true, out _);
    }

    /// <summary>
    /// <see cref="Update"/>'s look, embedding and write: the counts, null when <paramref name="change"/> changes nothing.
    /// The new rows are <paramref name="given"/>'s when there are some, else embedded here, and answered as
    /// <paramref name="embedded"/>; with <paramref name="write"/> false nothing is written.
    /// </summary>
    private static (int Added, int Replaced)? Apply(string folder, IEmbeddingModel model, Func<IReadOnlyList<IndexRecord>, IndexManifest, IndexChange?> change,
        Action<int, int>? progress, Action<int, int>? linking, string? documentsRoot, string? modelPath, bool? replaceDeleted,
        CancellationToken cancellationToken, EmbeddedChange? given, bool write, out EmbeddedChange? embedded)
    {
        embedded = null;
        IReadOnlyList<IndexRecord> records;
        List<IndexRecord> keptRecords;
        List<int> keptRows;
        IndexManifest manifest;
        int replaced;
        float[][] fresh;
        int[]? tombstones = null;
        HnswGrowth? growth = null;
        using (var index = SearchIndex.Open(folder))
        {
            manifest = index.Manifest;
            if (replaceDeleted == true) CheckReplaceDeleted(index);
            bool replace = replaceDeleted ?? manifest.HnswReplaceDeleted;
            using var cased = DocumentPaths.On(documentsRoot ?? manifest.DocumentsRoot); // paths compared as the documents' volume compares names
            if (modelPath is not null) manifest = ModelFingerprint.Record(manifest, modelPath);
            CheckBgeM3Model(folder, manifest, model);
            string? kind = (model as MultiVectorEmbeddingModel)?.Kind;
            if (kind != manifest.MultiVector)
                throw new EvaluationException($"{folder}: the index holds {VectorKind(manifest.MultiVector)} of {manifest.Model}; this model makes {VectorKind(kind)}");
            if (model is MultiVectorEmbeddingModel { PoolFactor: var pooled } && pooled != (manifest.PoolFactor ?? 1))
                throw new EvaluationException($"{folder}: the index's document token vectors are pooled by {manifest.PoolFactor ?? 1}; this model pools them by {pooled} (set PoolFactor to the index's)");
            if (model.Dimension != manifest.Dimension || model.IsSparse != manifest.Sparse)
                throw new EvaluationException($"{folder}: the index holds {manifest.Dimension}-d {(manifest.Sparse ? "sparse" : "dense")} vectors of {manifest.Model}; " +
                    $"this model makes {model.Dimension}-d {(model.IsSparse ? "sparse" : "dense")} ones");
            IReadOnlyList<IndexRecord> existing = index.Records;
            if (documentsRoot is not null)
            {
                string root = RealPath.Of(documentsRoot);
                // the rows are named under the root they were recorded with (full paths: the folder that held them all)
                if (DocumentRoot.Recorded(manifest, existing) is { } before && (manifest.DocumentsRoot is null || !DocumentPaths.Same(before, root)))
                {
                    existing = DocumentRoot.Rerooted(existing, before, root);
                    // the files recorded without rows follow their rows' rule, or a sync would take them for new files and read them again
                    if (manifest.NoText is { } noText) manifest = manifest with { NoText = DocumentRoot.Rerooted(noText, before, root, t => t.Source, (t, s) => t with { Source = s }) };
                    if (manifest.Unreadable is { } failed) manifest = manifest with { Unreadable = DocumentRoot.Rerooted(failed, before, root, u => u.Source, (u, s) => u with { Source = s }) };
                }
                manifest = manifest with { DocumentsRoot = root };
            }
            if (change([.. Enumerable.Range(0, existing.Count).Where(r => !index.Deleted.Contains(r)).Select(r => existing[r])], manifest) is not { } asked) return null;
            records = asked.Records;
            if (asked.Reading is not null) manifest = manifest with { Reading = asked.Reading };
            if (asked.NoText is not null) manifest = manifest with { NoText = asked.NoText.Count == 0 ? null : asked.NoText };
            if (asked.Unreadable is not null) manifest = manifest with { Unreadable = asked.Unreadable.Count == 0 ? null : asked.Unreadable };
            var dropped = asked.DropSources.ToHashSet(DocumentPaths.Comparer);
            var newDocuments = records.ToHashSet(new SameDocument()); // a file's rows by its path as the file system compares it
            keptRows = [.. Enumerable.Range(0, existing.Count).Where(r => !index.Deleted.Contains(r) && !newDocuments.Contains(existing[r])
                && !dropped.Contains(existing[r].Source))];
            replaced = index.LiveCount - keptRows.Count;
            if (asked.Restamped is { Count: > 0 } stamps) existing = Restamp(existing, stamps);
            keptRecords = [.. keptRows.Select(r => existing[r])];
            CheckUnique(records, keptRecords);
            // An HNSW index keeps its dropped rows as tombstones (walked through, never returned) or gives their slots to
            // new rows, and grows its saved graph in place, as hnswlib's markDelete and replace_deleted do; a compaction rebuilds it later.
            if (index.Graph is not null && HnswGrowth.Plan(index.Records.Count, keptRows, records.Count, replace) is { } inPlace)
            {
                growth = inPlace;
                keptRows = [.. Enumerable.Range(0, index.Records.Count)];
                keptRecords = [.. existing];
                tombstones = growth.Tombstones;
            }
            if (manifest.BgeM3 is not null)
            {
                var outputs = given?.BgeM3 ?? EmbedBgeM3((BgeM3EmbeddingModel)model, records, manifest.BgeM3.Stored, progress, cancellationToken);
                embedded = new EmbeddedChange(asked) { BgeM3 = outputs };
                if (!write) return (records.Count, replaced);
                index.ThrowIfCut(); // as below: the kept rows are read from the mappings next
                WriteBgeM3(folder, manifest, [.. keptRecords, .. records], AnalyzerOf(manifest), index, keptRows, outputs,
                    index.TokenPrecision == TokenPrecision.Plaid ? KeptPlaidRows(index, keptRows, [.. Enumerable.Range(0, keptRows.Count + outputs.Length)]) : null);
                return (records.Count, replaced);
            }
            if (manifest.Sparse)
            {
                var added = given?.Sparse ?? EmbedSparse(model, records, manifest.Similarity == "cosine", manifest.MaxActiveDims, progress, cancellationToken);
                embedded = new EmbeddedChange(asked) { Sparse = added };
                if (!write) return (records.Count, replaced);
                index.ThrowIfCut(); // the kept rows are read from the mapping next, which may have been cut while the new ones were embedded
                var every = keptRecords.Concat(records).ToList();
                var sparseAnalyzer = AnalyzerOf(manifest);
                IndexWriter.Write(folder, manifest, every, [], Analyse(manifest, sparseAnalyzer, every, new Bm25Parameters(manifest.K1, manifest.B)),
                    sparse: keptRows.Select(r => index.SparseRow(r)!).Concat(added));
                return (records.Count, replaced);
            }
            TokenVectors[]? freshTokens;
            if (given?.Dense is { } ready) (fresh, freshTokens) = (ready, given.Tokens);
            else fresh = Embed(model, records, index.Normalized, progress, cancellationToken, out freshTokens);
            embedded = new EmbeddedChange(asked) { Dense = fresh, Tokens = freshTokens };
            if (!write) return (records.Count, replaced);
            index.ThrowIfCut(); // as above: a file cut since the index was opened fails naming it, instead of faulting the process
            // Sources of the rows to write: kept row i is source i, new row j is source keptRows.Count + j. An IVF index
            // keeps each old row in its list and puts each new row in its nearest: list by list, sources in order.
            int[] sources = growth?.Sources(keptRows.Count, fresh.Length) ?? [.. Enumerable.Range(0, keptRows.Count + fresh.Length)];
            InvertedLists? lists = null;
            if (index.Lists is { } old)
            {
                var listOf = keptRows.Select(old.ListOf).Concat(old.Assign(fresh)).ToArray();
                sources = [.. sources.OrderBy(i => listOf[i]).ThenBy(i => i)];
                var sizes = new int[old.Lists];
                foreach (int l in listOf) sizes[l]++;
                lists = old.WithSizes(sizes);
            }
            var all = sources.Select(i => i < keptRecords.Count ? keptRecords[i] : records[i - keptRecords.Count]).ToList();
            var graph = index.Graph is null ? null : Grow(folder, index, growth, keptRows, fresh, sources, IndexKillPoint.Linking(linking));
            var analyzer = AnalyzerOf(manifest);
            var bm25 = Analyse(manifest, analyzer, all, new Bm25Parameters(manifest.K1, manifest.B));
            IndexWriter.Write(folder, manifest, all, Rows(index, keptRows, fresh, sources), bm25, lists, graph: graph, tombstones: tombstones,
                pq: index.ProductQuantizer, tokens: freshTokens is null ? null : index.TokenPrecision == TokenPrecision.Plaid
                    ? FreshTokenRows(freshTokens, keptRows.Count, sources) : TokenRows(index, keptRows, freshTokens, sources),
                plaid: index.TokenPrecision == TokenPrecision.Plaid ? KeptPlaidRows(index, keptRows, sources) : null);
        }
        return (records.Count, replaced);
    }


    /// <summary>The rows with the stamps of <see cref="IndexChange.Restamped"/>'s sources replaced (the same rows otherwise).</summary>
    private static IndexRecord[] Restamp(IReadOnlyList<IndexRecord> rows, IReadOnlyDictionary<string, (long Size, string Modified)> stamps) =>
        [.. rows.Select(r => stamps.TryGetValue(r.Source, out var s) ? r with { SourceSize = s.Size, SourceModified = s.Modified } : r)];
}
