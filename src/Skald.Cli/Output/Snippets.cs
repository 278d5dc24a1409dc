namespace Skald.Cli.Output;

/// <summary>A text shortened to one line for a result table.</summary>
internal static class Snippets
{
    /// <summary><paramref name="s"/> on one line, cut to 100 characters with "..." when longer.</summary>
    public static string Of(string s)
    {
        s = s.ReplaceLineEndings(" ");
        return s.Length <= 100 ? s : s[..97] + "...";
    }
}
