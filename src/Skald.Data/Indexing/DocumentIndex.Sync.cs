using Skald.Data.Ingest;
using Skald.Data.Ingest.Readers;
using Skald.Retrieval;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using Skald.Tokenizers.Serialization;

namespace Skald.Data.Indexing;

/// <summary><see cref="DocumentIndex"/>'s sync of an index with its documents folder (<c>skald index add --sync</c>).</summary>
public static partial class DocumentIndex
{
    /// <summary>
    /// Brings the index in <paramref name="folder"/> in step with <paramref name="documents"/> (files and folders, read
    /// as <see cref="Add"/> reads them), as <c>skald index add --sync</c> does: a file whose length and write time are
    /// those recorded with its rows (<see cref="FileStamp"/>) is neither hashed nor read; another is hashed, and one whose
    /// bytes hash as recorded (<see cref="IndexRecord.SourceSha256"/>) is not read nor embedded again either (its new
    /// stamp is recorded when the sync writes); a changed file's rows are replaced, a new file's added, and the rows of
    /// files the index holds under <paramref name="documents"/> that are no longer there are dropped (rows of other files
    /// stay). Left out of the walk: the index's own folder and its staging siblings, and files whose rows were added whole
    /// as a BEIR corpus (<c>index add --corpus</c>), kept as they are. Rows of an index written before hashes were
    /// recorded count as changed, so the first sync embeds them again. Files are read as the index's were
    /// (<see cref="IndexManifest.Reading"/>: <paramref name="options"/>' text column and OCR, and
    /// <paramref name="chunking"/> as <see cref="IndexManifest.ChunkTokens"/> and <see cref="IndexManifest.OverlapTokens"/>):
    /// other settings are refused in one line naming the option, since the unchanged files' rows were made with the
    /// index's (an index that recorded none records these). The look, the reading (OCR too) and the embedding happen
    /// without the index's writer lock, which is taken for the one atomic write alone (<see cref="IndexBuilder.Update"/>:
    /// should another writer change the index meanwhile, the sync is done again from the index as it is then), so a sync
    /// killed at any moment leaves the index as it was or as synced. When nothing changed nothing is written. A file read
    /// without text (empty, a scanned PDF or an image no OCR could read) is recorded (<see cref="IndexManifest.NoText"/>)
    /// with its stamp and hash and what OCR could read then (<see cref="Ocr.Reach"/>), and skipped as an unchanged file
    /// is while those are the same; it is read again when it changes, when OCR can read more (its programs or languages
    /// installed since) or when the readers are others. A file that could not be read (no permission, an I/O error, a
    /// damaged file its reader gave up on) is recorded so too (<see cref="IndexManifest.Unreadable"/>, with why), counted
    /// as <see cref="DocumentSyncResult.Unreadable"/>, and skipped while its stamp, else its hash, is the same (one that
    /// could not be opened: while it still cannot be); it is read again when it changes or the readers are others. An
    /// earlier Skald took such a file for one without text: a text-less entry it wrote (no
    /// <see cref="TextlessFile.FailuresApart"/>) is read once more, but for an image's, and recorded anew, unreadable or
    /// without text (counted as changed, the one time).
    /// </summary>
    public static DocumentSyncResult Sync(string folder, IEmbeddingModel model, IReadOnlyList<string> documents, ChunkOptions chunking,
        DocumentIndexOptions? options = null)
    {
        options ??= new();
        var (inputs, root, languages, reading) = Open(folder, documents, options, chunking, "sync");
        using var cased = DocumentPaths.On(root);
        DocumentSyncResult? plan = null;
        var done = IndexBuilder.Update(folder, model, (live, now) =>
        {
            var (change, counts) = Plan(live, now.NoText ?? [], now.Unreadable ?? [], inputs, root, chunking, options, languages, folder, ReadByOtherReaders(now));
            plan = counts;
            return change is null ? null : change with { Reading = reading };
        }, options.Progress, options.Linking, root, options.ModelPath, options.ReplaceDeleted, options.CancellationToken, lockOnlyToWrite: true);
        return plan! with { RowsAdded = done?.Added ?? 0, RowsDropped = done?.Replaced ?? 0, Written = done is not null };
    }

    /// <summary>
    /// What a sync changes, given the index's live rows (named under <paramref name="root"/>), its text-less files
    /// (<paramref name="noText"/>) and its unreadable ones (<paramref name="failed"/>); null when nothing. With
    /// <paramref name="reread"/> (rows made by other readers) no file is taken as unchanged by its stamp or hash.
    /// </summary>
    private static (IndexChange? Change, DocumentSyncResult Counts) Plan(IReadOnlyList<IndexRecord> live, IReadOnlyList<TextlessFile> noText,
        IReadOnlyList<UnreadableFile> failed, string[] inputs, string root, ChunkOptions chunking, DocumentIndexOptions options, bool languages, string folder, bool reread)
    {
        var log = options.Log ?? (_ => { });
        if (reread && live.Any(IsChunk)) log("the index's documents were read by other readers than this Skald's (index.json's reading.readers): every file is read again");
        var recorded = new Dictionary<string, IndexRecord>(DocumentPaths.Comparer); // a source's first live row: its hash and stamp as the index holds them
        var corpora = new HashSet<string>(DocumentPaths.Comparer); // sources whose rows are not a document's chunks: added whole as a --corpus
        foreach (var r in live)
        {
            recorded.TryAdd(r.Source, r);
            if (!IsChunk(r)) corpora.Add(r.Source);
        }
        var empty = new Dictionary<string, TextlessFile>(DocumentPaths.Comparer); // files read before without text
        foreach (var t in noText) empty.TryAdd(t.Source, t);
        var unreadable = new Dictionary<string, UnreadableFile>(DocumentPaths.Comparer); // files that could not be read before
        foreach (var u in failed) unreadable.TryAdd(u.Source, u);
        string? reach = null; // what OCR can read now, asked only of a text-less file's entry (it may start tesseract)
        var files = new Dictionary<string, FileRead>(StringComparer.Ordinal);
        var restamped = new Dictionary<string, (long, string)>(DocumentPaths.Comparer);
        var present = new HashSet<string>(DocumentPaths.Comparer);
        var keptEmpty = new List<TextlessFile>();
        var keptFailed = new List<UnreadableFile>(); // unreadable as recorded, and those that could not be hashed now
        var fresh = new HashSet<string>(DocumentPaths.Comparer); // files the index held nothing of: counted as new
        var read = new List<string>();
        var drop = new List<string>();
        int unchanged = 0, changed = 0, recheck = 0;
        bool failedChanged = false; // a file that could not be stamped or hashed now, and was not recorded so
        var now = DateTime.UtcNow;
        foreach (var file in OwnOutputsLeftOut(DocumentIngest.Files(inputs, RealPath.Of(folder)), folder))
        {
            string source = DocumentRoot.Relative(root, file);
            present.Add(source);
            if (corpora.Contains(source))
            {
                log($"left out {file}: its rows were added as a --corpus (index add --corpus adds it again)");
                continue;
            }
            bool known = recorded.TryGetValue(source, out var before);
            TextlessFile? entry = null;
            UnreadableFile? failure = null;
            bool wasEmpty = !known && empty.TryGetValue(source, out entry);
            bool wasFailed = !known && !wasEmpty && unreadable.TryGetValue(source, out failure);
            FileStamp stamp;
            try
            {
                stamp = FileStamp.Of(file, now);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) // gone meanwhile, a link to nothing
            {
                Failing(file, source, known, failure, null, e);
                continue;
            }
            bool earlier = wasEmpty && !reread && MayBeUnreadable(entry!, file); // an earlier Skald's entry: perhaps a damaged file
            if (earlier) recheck++;
            bool emptyAsRead = wasEmpty && !reread && !earlier && entry!.Ocr == (reach ??= (options.Ocr ?? Ocr.Auto).Reach); // read by the same OCR
            if ((known && !reread && stamp.Matches(before!)) || (emptyAsRead && stamp.Matches(entry!)) || (wasFailed && !reread && StillUnreadable(failure!, file, stamp)))
            {
                if (wasFailed) keptFailed.Add(failure!);
                else unchanged++;
                if (emptyAsRead) keptEmpty.Add(entry!);
                continue;
            }
            string hash;
            try
            {
                hash = Sha256(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Failing(file, source, known, failure, stamp, e);
                continue;
            }
            var hashed = files[file] = new FileRead(hash, stamp);
            if ((known && !reread && before!.SourceSha256 == hash) || (emptyAsRead && entry!.Sha256 == hash) || (wasFailed && !reread && failure!.Sha256 == hash))
            {
                if (wasFailed) keptFailed.Add(stamp.Trusted ? failure! with { Size = stamp.Size, Modified = stamp.Modified } : failure!);
                else unchanged++;
                if (emptyAsRead) keptEmpty.Add(stamp.Trusted ? entry! with { Size = stamp.Size, Modified = stamp.Modified } : entry!);
                else if (known && stamp.Trusted) restamped[source] = (stamp.Size, stamp.Modified!);
                continue;
            }
            read.Add(file);
            if (!known && !wasEmpty && !wasFailed)
            {
                fresh.Add(source);
                continue;
            }
            changed++;
            if (known) drop.Add(source);
        }
        if (recheck > 0)
            log($"{Counted.Of(recheck, "file")} recorded without text by an earlier Skald (index.json's no_text) read once more: a damaged one is recorded as unreadable now");
        // A file that cannot be stamped or hashed now is recorded as unreadable (its rows, if any, dropped, as a build
        // would leave it out); said and written only when that is news, not at every sync while it stays so.
        void Failing(string file, string source, bool known, UnreadableFile? failure, FileStamp? stamp, Exception e)
        {
            var failing = Unreadable(source, null, stamp, DocumentIngest.Reason(file, e));
            keptFailed.Add(failing);
            if (failing != failure)
            {
                log($"skipped {file}: {failing.Reason}");
                failedChanged = true;
            }
            if (known) drop.Add(source);
        }
        var removed = recorded.Keys.Where(s => !present.Contains(s) && Under(DocumentRoot.Full(root, s), inputs)).ToList();
        drop.AddRange(removed);
        // text-less and unreadable files outside the synced documents stay recorded; those gone from under them go
        var elsewhere = noText.Where(t => !present.Contains(t.Source) && !Under(DocumentRoot.Full(root, t.Source), inputs)).ToList();
        var failedElsewhere = failed.Where(u => !present.Contains(u.Source) && !Under(DocumentRoot.Full(root, u.Source), inputs)).ToList();
        int recordedGone = noText.Count(t => !present.Contains(t.Source)) - elsewhere.Count + failed.Count(u => !present.Contains(u.Source)) - failedElsewhere.Count;
        var counts = new DocumentSyncResult(unchanged, changed, read.Count - changed, removed.Count + recordedGone, 0, 0) { Unreadable = keptFailed.Count };
        if (read.Count == 0 && drop.Count == 0 && recordedGone == 0 && !failedChanged) return (null, counts);
        var (records, readEmpty, readFailed) = read.Count == 0 ? ([], [], []) : Read(read, root, chunking, options, languages, folder, files, requireText: false);
        if (records.Count == 0 && drop.Count == 0 && recordedGone == 0 && readEmpty.Count == 0 && readFailed.Count == 0 && !failedChanged) return (null, counts);
        // a file whose reader failed now counts as unreadable, not as changed or new
        int failedNew = readFailed.Count(u => fresh.Contains(u.Source));
        counts = counts with { Changed = changed - (readFailed.Count - failedNew), New = counts.New - failedNew, Unreadable = keptFailed.Count + readFailed.Count };
        return (new IndexChange(records, drop)
        {
            Restamped = restamped,
            NoText = [.. elsewhere, .. keptEmpty, .. readEmpty],
            Unreadable = [.. failedElsewhere, .. keptFailed, .. readFailed],
        }, counts);
    }

    /// <summary>Whether <paramref name="row"/> is a chunk of a document read by <see cref="Read(IReadOnlyList{string}, string, ChunkOptions, DocumentIndexOptions?, bool, string?)"/> (id <c>DOCUMENT#cN</c>), not a corpus's row.</summary>
    private static bool IsChunk(IndexRecord row) =>
        row.Id.Length > row.Document.Length + 2 && row.Id.StartsWith(row.Document, StringComparison.Ordinal)
        && row.Id.AsSpan(row.Document.Length).StartsWith("#c", StringComparison.Ordinal) && row.Id.AsSpan(row.Document.Length + 2).IndexOfAnyExceptInRange('0', '9') < 0;

    /// <summary>
    /// <paramref name="files"/> without those under the staging siblings of the index in <paramref name="folder"/>
    /// (<c>.tmp-NAME-PID</c>, <c>.old-NAME-PID</c>: a writer's new folder, or the old one moved aside), which lie in the
    /// documents when the index does and are walked when a sync reads while another writer writes.
    /// </summary>
    private static IEnumerable<string> OwnOutputsLeftOut(IEnumerable<string> files, string folder)
    {
        string real = RealPath.Of(folder), parent = Path.GetDirectoryName(real) ?? real, name = Path.GetFileName(real);
        string[] staging = [Path.Combine(parent, $".tmp-{name}-"), Path.Combine(parent, $".old-{name}-")];
        return files.Where(f => !staging.Any(s => DocumentPaths.StartsWith(f, s)));
    }

    /// <summary>Whether <paramref name="path"/> is one of <paramref name="inputs"/> or lies under one (full paths, compared as the volume compares names).</summary>
    private static bool Under(string path, string[] inputs) => inputs.Any(i =>
    {
        string folder = Path.TrimEndingDirectorySeparator(i);
        return DocumentPaths.Same(path, folder) || DocumentPaths.StartsWith(path, folder + Path.DirectorySeparatorChar);
    });
}
