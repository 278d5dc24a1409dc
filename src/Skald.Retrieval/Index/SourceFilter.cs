using System.IO.Enumeration;

namespace Skald.Retrieval.Index;

/// <summary>
/// Which rows a search may return: those whose <see cref="IndexRecord.Source"/> (the file a row was read from, as the
/// index recorded it) matches one of the patterns: <c>*</c> any run of characters, slashes included, <c>?</c> one
/// character, the case as written (<c>*/hr/*</c>, <c>*.pdf</c>, <c>/srv/docs/policies/*</c>).
/// </summary>
public sealed class SourceFilter
{
    private readonly string[] patterns;

    /// <summary>A filter passing the rows whose source matches any of <paramref name="patterns"/> (at least one, none empty).</summary>
    public SourceFilter(IEnumerable<string> patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        this.patterns = [.. patterns];
        if (this.patterns.Length == 0) throw new ArgumentException("a source filter needs at least one pattern", nameof(patterns));
        if (this.patterns.Any(string.IsNullOrEmpty)) throw new ArgumentException("a source pattern is empty", nameof(patterns));
    }

    /// <summary>The patterns.</summary>
    public IReadOnlyList<string> Patterns => patterns;

    /// <summary>Whether <paramref name="record"/> passes.</summary>
    public bool Matches(IndexRecord record)
    {
        foreach (string p in patterns)
        {
            if (FileSystemName.MatchesSimpleExpression(p, record.Source, ignoreCase: false)) return true;
        }
        return false;
    }
}
