using Skald.Data.Ingest.Readers;

namespace Skald.Data.Indexing;

/// <summary>How <see cref="DocumentIndex"/> reads documents and writes an index of them (the settings of <c>skald index build|add</c> besides the model and chunking).</summary>
public sealed record DocumentIndexOptions
{
    /// <summary>The text field of .jsonl documents (<c>--text-column</c>).</summary>
    public string TextColumn { get; init; } = "text";

    /// <summary>OCR of scanned PDF pages and images (null: <see cref="Ocr.Auto"/>).</summary>
    public Ocr? Ocr { get; init; }

    /// <summary>Hears skipped files, unread pages and OCR progress, one line each (null: nobody).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>
    /// The folder record paths are relative to (<c>--documents-root</c>); null: <see cref="DocumentIndex.Root"/>'s
    /// choice (the index's recorded root while it exists, else where it moved, else the deepest folder holding the documents).
    /// </summary>
    public string? DocumentsRoot { get; init; }

    /// <summary>Called with (rows embedded, total).</summary>
    public Action<int, int>? Progress { get; init; }

    /// <summary>Called with (rows linked into an HNSW graph, total).</summary>
    public Action<int, int>? Linking { get; init; }

    /// <summary>The folder the model was loaded from, checked to be the index's: its fingerprint is recorded anew (<see cref="Skald.Retrieval.Index.IndexBuilder.Add"/>).</summary>
    public string? ModelPath { get; init; }

    /// <summary>An HNSW index: new rows take deleted rows' slots (true), are appended (false), or as the index was built (null).</summary>
    public bool? ReplaceDeleted { get; init; }

    /// <summary>Stops the embedding; nothing is written then.</summary>
    public CancellationToken CancellationToken { get; init; }
}
