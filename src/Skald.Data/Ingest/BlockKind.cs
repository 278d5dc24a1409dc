namespace Skald.Data.Ingest;

/// <summary>What a block of a document is.</summary>
public enum BlockKind
{
    /// <summary>A title or heading: starts a section, never part of a chunk.</summary>
    Heading,

    /// <summary>Running text.</summary>
    Paragraph,
}
