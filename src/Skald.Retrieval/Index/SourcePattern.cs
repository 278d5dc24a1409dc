namespace Skald.Retrieval.Index;

/// <summary>
/// The wildcard patterns of a source filter (<see cref="IndexFilter.Sources"/>): <c>*</c> any run of characters,
/// separators included, <c>?</c> any one character, and every other character itself, the case as written (ordinal).
/// The two path separators are one: a <c>/</c> or a <c>\</c> in a pattern matches either in the path, so a pattern
/// written Windows' way (<c>hr\*.md</c>, <c>C:\docs\*</c>) matches the sources an index records with <c>/</c>
/// (<c>hr/ferie.md</c>) and full paths in either form. There is no escape character (a <c>\</c> is a separator, not an
/// escape as it is to <see cref="System.IO.Enumeration.FileSystemName.MatchesSimpleExpression"/>).
/// </summary>
public static class SourcePattern
{
    /// <summary>Whether <paramref name="path"/> matches <paramref name="pattern"/> as a whole.</summary>
    public static bool Matches(ReadOnlySpan<char> pattern, ReadOnlySpan<char> path)
    {
        // Greedy with one backtrack point: on a mismatch the last '*' takes one more character (linear for patterns
        // without '*'; at most pattern × path steps).
        int p = 0, s = 0, star = -1, resume = 0;
        while (s < path.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = s;
            }
            else if (p < pattern.Length && (pattern[p] == '?' || Same(pattern[p], path[s])))
            {
                p++;
                s++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                s = ++resume;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    private static bool Same(char a, char b) => a == b || (IsSeparator(a) && IsSeparator(b));

    private static bool IsSeparator(char c) => c is '/' or '\\';
}
