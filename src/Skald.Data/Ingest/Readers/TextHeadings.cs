using System.Text.RegularExpressions;

namespace Skald.Data.Ingest.Readers;

/// <summary>
/// The headings of text without markup (a .txt file): a line standing alone between blank lines (or first in the file)
/// that reads as a title and is followed by body text. The rule is conservative, since a one-line paragraph taken for a
/// heading leaves the chunk's text for its title, while a missed heading stays text, as it was. A heading line
/// (<see cref="IsHeadingLine"/>) is short (at most <see cref="MaxChars"/> characters), starts with a capital, a digit or
/// "§", ends in no sentence or clause punctuation (. ! ? … : ; ,), and is no greeting ("Hei Kari", "Kære Peter"), no date
/// ("12. mars 2025") and no place or address with a number ("Oslo, 12. mars 2025"). It is a heading when the block after
/// it is body text (ends as a sentence does, or in a colon) and the block before it does not end in a colon (there it is
/// a list's item). A run of such lines is a list, an address or a signature ("Med vennlig hilsen" above a name) and holds
/// no heading, except two at the start of the file: a title and its first section's heading.
/// </summary>
public static partial class TextHeadings
{
    /// <summary>The longest heading line, in characters.</summary>
    public const int MaxChars = 60;

    /// <summary>
    /// The heading lines among <paramref name="blocks"/> (the file's paragraphs between blank lines), each by its place
    /// among the lines with text (0 the first line of the file).
    /// </summary>
    public static HashSet<int> Find(IReadOnlyList<DocumentBlock> blocks)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        var texts = blocks.Select(b => b.Text.Trim()).ToArray();
        var lineOf = new int[texts.Length];
        for (int b = 1; b < texts.Length; b++) lineOf[b] = lineOf[b - 1] + texts[b - 1].Split('\n').Length;
        bool Candidate(int b) => !texts[b].Contains('\n') && IsHeadingLine(texts[b]);
        var found = new HashSet<int>();
        for (int b = 0; b < texts.Length; b++)
        {
            if (!Candidate(b)) continue;
            int end = b; // the run of heading-like lines [b, end]
            while (end + 1 < texts.Length && Candidate(end + 1)) end++;
            int run = end - b + 1;
            bool body = end + 1 < texts.Length && IsBody(texts[end + 1]);
            bool afterColon = b > 0 && texts[b - 1].EndsWith(':');
            if (body && !afterColon && (run == 1 || (run == 2 && b == 0)))
                for (int h = b; h <= end; h++) found.Add(lineOf[h]);
            b = end;
        }
        return found;
    }

    /// <summary>Whether one line reads as a heading by its own shape (see <see cref="TextHeadings"/>).</summary>
    public static bool IsHeadingLine(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        string t = line.Trim();
        if (t.Length == 0 || t.Length > MaxChars || !t.Any(char.IsLetter)) return false;
        if (!(char.IsUpper(t[0]) || char.IsDigit(t[0]) || t[0] == '§')) return false;
        string end = t.TrimEnd('"', '\'', '\u201D', '\u2019', '\u00BB', ')', ']');
        if (end.Length == 0 || ".!?\u2026:;,".Contains(end[^1])) return false;
        if (t.Contains(',') && t.Any(char.IsDigit)) return false; // "Oslo, 12. mars 2025", "Storgata 1, 0150 Oslo"
        return !Greeting().IsMatch(t) && !Date().IsMatch(t) && !ListItem().IsMatch(t);
    }

    // Body text: a block that ends as a sentence ends, or in a colon leading into what follows.
    private static bool IsBody(string text)
    {
        string end = text.TrimEnd('"', '\'', '\u201D', '\u2019', '\u00BB', ')', ']');
        return end.Length > 0 && ".!?\u2026:".Contains(end[^1]);
    }

    [GeneratedRegex(@"^(hei|hej|hejsan|hejsa|heisann|hallo|hello|hi|hey|dear|kjære|kære|kära|käre|goddag|godmorgen|god\s+(morgen|dag|kveld|aften|eftermiddag))(\s|$)", RegexOptions.IgnoreCase)]
    private static partial Regex Greeting();

    [GeneratedRegex(@"^(\d{1,2}\.?\s*\p{L}+\.?\s+\d{4}|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})$")]
    private static partial Regex Date();

    [GeneratedRegex(@"^\d+\)\s")]
    private static partial Regex ListItem();
}
