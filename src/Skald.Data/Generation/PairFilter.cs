using System.Text;
using Skald.Data.Ingest;
using Skald.Retrieval.Models;

namespace Skald.Data.Generation;

/// <summary>
/// Drops generated pairs that would teach nothing or the wrong thing: an empty query, one seen before (compared
/// case- and whitespace-insensitively), one too short or too long, a passage too short, and a query the passage
/// contains verbatim (a copy, not a question). Counts what it drops, by reason. A passage's section heading (its
/// title) is part of what a query must not copy, as the index embeds it, but not of the passage's length: every passage
/// of a section carries the same heading, so it says nothing of what one passage holds (counted, inverse cloze took
/// queries out of chunks until a sentence of five words under a three-word heading was left as the positive).
/// </summary>
public sealed class PairFilter(FilterOptions options)
{
    private readonly HashSet<string> seen = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> dropped = new(StringComparer.Ordinal);

    /// <summary>Candidates dropped so far, by reason.</summary>
    public IReadOnlyDictionary<string, int> Dropped => dropped;

    /// <summary>True when the pair is kept (the query is then remembered for the duplicate check).</summary>
    /// <param name="query">The generated query.</param>
    /// <param name="passage">Its positive passage's text.</param>
    /// <param name="heading">The query is a heading (held to <see cref="FilterOptions.MinHeadingWords"/>).</param>
    /// <param name="title">The passage's section heading, "" when none: copied by a query, it counts as the passage.</param>
    public bool Accept(string query, string passage, bool heading = false, string title = "")
    {
        string? reason = Reason(query, passage, heading, title);
        if (reason is null) return true;
        dropped[reason] = dropped.GetValueOrDefault(reason) + 1;
        return false;
    }

    private string? Reason(string query, string passage, bool heading, string title)
    {
        string q = Key(query);
        if (q.Length == 0) return "empty";
        int words = TokenCounter.CountWords(query);
        if (words < (heading ? options.MinHeadingWords : options.MinQueryWords)) return "too short";
        if (words > options.MaxQueryWords) return "too long";
        if (TokenCounter.CountWords(passage) < options.MinPassageWords) return "passage too short";
        if (Key(new CorpusDocument("", title, passage).FullText).Contains(q, StringComparison.Ordinal)) return "copies the passage";
        if (!seen.Add(q)) return "duplicate";
        return null;
    }

    /// <summary>Lower case, letters and digits only, single spaces: what "the same text" means for the checks.</summary>
    public static string Key(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool space = false;
        foreach (char c in s)
        {
            if (char.IsLetterOrDigit(c))
            {
                if (space && sb.Length > 0) sb.Append(' ');
                space = false;
                sb.Append(char.ToLowerInvariant(c));
            }
            else space = true;
        }
        return sb.ToString();
    }
}
