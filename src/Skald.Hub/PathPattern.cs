namespace Skald.Hub;

/// <summary>
/// Which files of a folder an upload takes, as huggingface_hub's filter_repo_objects decides: a path is kept when it
/// matches one of the include patterns (or there are none) and none of the exclude patterns; patterns are Python's
/// fnmatch (<c>*</c> any run of characters, <c>/</c> included; <c>?</c> one character; <c>[abc]</c>, <c>[a-z]</c>,
/// <c>[!abc]</c> a set), and a pattern ending in <c>/</c> stands for everything under that folder.
/// </summary>
internal static class PathPattern
{
    /// <summary>Always left out of an upload (huggingface_hub's DEFAULT_IGNORE_PATTERNS).</summary>
    public static readonly string[] AlwaysExcluded =
        [".git", ".git/*", "*/.git", "**/.git/**", ".cache/huggingface", ".cache/huggingface/*", "*/.cache/huggingface", "**/.cache/huggingface/**"];

    /// <summary>Whether <paramref name="path"/> ('/'-separated, relative) is kept.</summary>
    public static bool Keeps(string path, IReadOnlyList<string> include, IReadOnlyList<string> exclude)
    {
        if (include.Count > 0 && !include.Any(p => Matches(path, p))) return false;
        return !exclude.Any(p => Matches(path, p)) && !AlwaysExcluded.Any(p => Matches(path, p));
    }

    /// <summary>fnmatch(path, pattern), case-sensitive (fnmatchcase; POSIX fnmatch normalises nothing).</summary>
    public static bool Matches(string path, string pattern)
    {
        if (pattern.EndsWith('/')) pattern += "*";
        return Match(path, 0, pattern, 0);
    }

    private static bool Match(string s, int i, string p, int j)
    {
        while (j < p.Length)
        {
            char c = p[j];
            if (c == '*')
            {
                while (j < p.Length && p[j] == '*') j++;
                if (j == p.Length) return true;
                for (int k = i; k <= s.Length; k++)
                    if (Match(s, k, p, j)) return true;
                return false;
            }
            if (i == s.Length) return false;
            if (c == '?')
            {
                i++;
                j++;
                continue;
            }
            if (c == '[' && SetEnd(p, j) is int end and > 0)
            {
                if (!InSet(s[i], p, j + 1, end)) return false;
                i++;
                j = end + 1;
                continue;
            }
            if (s[i] != c) return false;
            i++;
            j++;
        }
        return i == s.Length;
    }

    // The index of the ']' closing the set opened at p[open], or -1 (then '[' is an ordinary character, as in fnmatch).
    private static int SetEnd(string p, int open)
    {
        int k = open + 1;
        if (k < p.Length && p[k] == '!') k++;
        if (k < p.Length && p[k] == ']') k++;
        while (k < p.Length && p[k] != ']') k++;
        return k < p.Length ? k : -1;
    }

    private static bool InSet(char c, string p, int from, int end)
    {
        bool negate = p[from] == '!';
        if (negate) from++;
        bool found = false;
        for (int k = from; k < end; k++)
        {
            if (k + 2 < end && p[k + 1] == '-')
            {
                if (c >= p[k] && c <= p[k + 2]) found = true;
                k += 2;
            }
            else if (p[k] == c) found = true;
        }
        return found != negate;
    }
}
