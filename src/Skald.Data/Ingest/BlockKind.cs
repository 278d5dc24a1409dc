namespace Skald.Data.Ingest;

/// <summary>What a block of a document is.</summary>
public enum BlockKind
{
    /// <summary>A title or heading: starts a section, never part of a chunk.</summary>
    Heading,

    /// <summary>Running text.</summary>
    Paragraph,

    /// <summary>
    /// One row of a table, its cells' text joined by " | ": never split into sentences (nor between cells unless it is
    /// longer than a chunk), and a line of its own in a chunk's text (<see cref="Chunk.Text"/>).
    /// </summary>
    TableRow,
}
