namespace Skald.Data.Ingest;

/// <summary>A [start, end) character span of a document's cleaned text.</summary>
public readonly record struct TextSpan(int Start, int End)
{
    /// <summary>Characters covered.</summary>
    public int Length => End - Start;
}
