using System.Text.RegularExpressions;

namespace Skald.Serving.Tests;

/// <summary>
/// The error codes README's Serve section lists for a 4xx, read from README itself: the backticked names after "which
/// OpenAI's SDKs print as ...:" up to "(400 for malformed JSON", leaving out what the list's parentheses explain.
/// </summary>
internal static partial class ReadmeErrorCodes
{
    private const string Start = "which OpenAI's SDKs print as `HTTP 400 (invalid_request_error: invalid_value)`:";
    private const string End = "(400 for malformed JSON";

    /// <summary>README's codes, in its order.</summary>
    public static IReadOnlyList<string> All { get; } = Read();

    private static List<string> Read()
    {
        string readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));
        int start = readme.IndexOf(Start, StringComparison.Ordinal);
        Assert.True(start >= 0, $"README no longer says \"{Start}\"");
        start += Start.Length;
        int end = readme.IndexOf(End, start, StringComparison.Ordinal);
        Assert.True(end > start, $"README's error code list no longer ends at \"{End}\"");
        var outside = new System.Text.StringBuilder();
        int depth = 0;
        foreach (char c in readme.AsSpan(start, end - start))
        {
            if (c == '(') depth++;
            else if (c == ')') depth--;
            else if (depth == 0) outside.Append(c);
        }
        var codes = Code().Matches(outside.ToString()).Select(m => m.Groups[1].Value).ToList();
        Assert.True(codes.Count > 5, $"README's error code list reads as [{string.Join(", ", codes)}]");
        return codes;
    }

    [GeneratedRegex("`([a-z_]+)`")]
    private static partial Regex Code();
}
