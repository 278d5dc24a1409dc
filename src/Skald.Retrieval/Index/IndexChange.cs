namespace Skald.Retrieval.Index;

/// <summary>
/// What an <see cref="IndexBuilder.Update"/> writes: <paramref name="Records"/> to add (a document added again replaces
/// its old rows, as <see cref="IndexBuilder.Add"/> does) and the sources whose live rows are dropped besides, named as
/// the index records them (<see cref="IndexRecord.Source"/>, compared by <see cref="DocumentPaths.Comparer"/>): files
/// changed since they were indexed (every row of the file goes, also those of .jsonl lines no longer there) and files removed.
/// </summary>
/// <param name="Records">The records to add.</param>
/// <param name="DropSources">The sources whose rows to drop.</param>
public sealed record IndexChange(IReadOnlyList<IndexRecord> Records, IReadOnlyCollection<string> DropSources)
{
    /// <summary>How the documents were read, recorded as the index's <see cref="IndexManifest.Reading"/> (null: left as it is).</summary>
    public IReadOnlyDictionary<string, string>? Reading { get; init; }

    /// <summary>
    /// The index's text-less files as they are to be recorded (<see cref="IndexManifest.NoText"/>: the whole list, an
    /// empty one recording none); null: left as they are. A change of rows or of this list is written.
    /// </summary>
    public IReadOnlyList<TextlessFile>? NoText { get; init; }

    /// <summary>
    /// The index's unreadable files as they are to be recorded (<see cref="IndexManifest.Unreadable"/>: the whole list,
    /// an empty one recording none); null: left as they are. A change of this list is written, as one of <see cref="NoText"/>.
    /// </summary>
    public IReadOnlyList<UnreadableFile>? Unreadable { get; init; }

    /// <summary>
    /// Sources whose kept rows get a new <see cref="IndexRecord.SourceSize"/> and <see cref="IndexRecord.SourceModified"/>
    /// (a file touched since, its bytes the same), keyed as <see cref="DropSources"/>; written only along with a change
    /// of rows (these alone do not make a write).
    /// </summary>
    public IReadOnlyDictionary<string, (long Size, string Modified)>? Restamped { get; init; }
}
