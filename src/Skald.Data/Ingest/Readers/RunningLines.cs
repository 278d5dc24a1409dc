using System.Text;

namespace Skald.Data.Ingest.Readers;

/// <summary>
/// A PDF's running headers and footers: a line among the first or the last <see cref="EdgeLines"/> non-blank lines of a
/// page's text that recurs at that same edge on more than half of the pages with text (at least two of them) is the
/// page's furniture (a document title, "Side 3 av 12", a bare page number), not its content, as PDF-to-text tools drop it.
/// Lines are compared with their whitespace collapsed and each run of digits standing for a number: a number may change
/// from page to page only as the page number does (the same difference to it on every page, "Side 3 av 12" on page 3,
/// "4" on page 5), so "Sum 1200" and "Sum 800" ending two pages are kept, and a number after a chapter word
/// ("Kapittel 3", "Vedlegg 2", "Chapter 4") is a chapter's, never the page's; and a line that ends as a sentence does (. ! ?)
/// is text, never furniture. The left and right pages (every other page) are also counted apart, a line recurring on
/// more than half of one side's pages and on at least <see cref="MinSidePages"/> of them: a two-sided report's running
/// title on the left and chapter on the right, each on half of the pages only. When the lines' places on the page are
/// known, a line lying in the top or bottom <see cref="EdgeBand"/> of its page is at that edge wherever the extractor put
/// it in the text (some PDFs draw the header after the body), under the same rules.
/// </summary>
public static class RunningLines
{
    /// <summary>How many non-blank lines at the top and at the bottom of a page's text can be a header or a footer.</summary>
    public const int EdgeLines = 2;

    /// <summary>The fewest pages of one side (left or right pages) a line recurs on to be that side's running line.</summary>
    public const int MinSidePages = 3;

    /// <summary>The share of a page's height at its top and at its bottom where a line is at that edge whatever its place
    /// in the text (a header sits in the top margin, about 5% of an A4 page; body text starts below 8%).</summary>
    public const double EdgeBand = 0.08;

    /// <summary>For each page in order (its text's lines; none for a page not read), which lines are running headers or footers.</summary>
    public static bool[][] Find(IReadOnlyList<IReadOnlyList<string>> pages) => Find(pages, null);

    /// <summary>
    /// As <see cref="Find(IReadOnlyList{IReadOnlyList{string}})"/>, with each line's place on its page (the share of the
    /// page's height from the top to the line, <see cref="PdfLine.Y"/>; NaN when not known), which adds the lines in the
    /// top or bottom <see cref="EdgeBand"/> to those at that edge of the text.
    /// </summary>
    public static bool[][] Find(IReadOnlyList<IReadOnlyList<string>> pages, IReadOnlyList<IReadOnlyList<double>>? places)
    {
        ArgumentNullException.ThrowIfNull(pages);
        var drop = pages.Select(p => new bool[p.Count]).ToArray();
        var all = Enumerable.Range(0, pages.Count).ToArray();
        Mark(pages, places, all, 2, drop);
        // a two-sided document's left and right pages each with their own (the title on the left, the chapter on the right)
        foreach (int side in (int[])[0, 1]) Mark(pages, places, [.. all.Where(p => p % 2 == side)], MinSidePages, drop);
        return drop;
    }

    // Marks in drop the lines that recur at an edge of more than half of the pages of set with text, and of at least
    // least pages.
    private static void Mark(IReadOnlyList<IReadOnlyList<string>> pages, IReadOnlyList<IReadOnlyList<double>>? places, int[] set, int least,
        bool[][] drop)
    {
        int withText = set.Count(p => pages[p].Any(l => !string.IsNullOrWhiteSpace(l)));
        if (withText < least) return;
        foreach (bool top in (bool[])[true, false])
        {
            var groups = new Dictionary<string, List<(int Page, int Line, long[] Numbers, bool[] Sections)>>(StringComparer.Ordinal);
            foreach (int p in set)
            {
                foreach (int l in Edge(pages[p], places?[p], top))
                {
                    var (key, numbers, sections) = Key(pages[p][l]);
                    if (!groups.TryGetValue(key, out var group)) groups[key] = group = [];
                    group.Add((p, l, numbers, sections));
                }
            }
            foreach (var (key, group) in groups)
            {
                int onPages = group.Select(g => g.Page).Distinct().Count();
                if (onPages < least || 2 * onPages <= withText || !Furniture(key, group)) continue;
                foreach (var (p, l, _, _) in group) drop[p][l] = true;
            }
        }
    }

    // The indices of the first (top) or last EdgeLines non-blank lines of a page, and of the other non-blank lines lying in
    // that edge's band of the page (places known).
    private static List<int> Edge(IReadOnlyList<string> lines, IReadOnlyList<double>? places, bool top)
    {
        var found = new List<int>(EdgeLines);
        for (int n = 0; n < lines.Count && found.Count < EdgeLines; n++)
        {
            int i = top ? n : lines.Count - 1 - n;
            if (!string.IsNullOrWhiteSpace(lines[i])) found.Add(i);
        }
        if (places is null) return found;
        for (int i = 0; i < lines.Count && i < places.Count; i++)
        {
            bool inBand = top ? places[i] < EdgeBand : places[i] > 1 - EdgeBand; // false for NaN
            if (inBand && !string.IsNullOrWhiteSpace(lines[i]) && !found.Contains(i)) found.Add(i);
        }
        return found;
    }

    // The line with its whitespace collapsed and each run of up to 9 ASCII digits written '#', those runs' values (a
    // longer run, an account or a phone number, stays in the key as it is), and whether each follows a SectionWords word.
    private static (string Key, long[] Numbers, bool[] Sections) Key(string line)
    {
        var key = new StringBuilder(line.Length);
        var numbers = new List<long>();
        var sections = new List<bool>();
        string t = TextCleaner.CollapseWhitespace(line);
        for (int i = 0; i < t.Length; i++)
        {
            if (!char.IsAsciiDigit(t[i]))
            {
                key.Append(t[i]);
                continue;
            }
            int start = i;
            while (i + 1 < t.Length && char.IsAsciiDigit(t[i + 1])) i++;
            string digits = t[start..(i + 1)];
            if (digits.Length <= 9)
            {
                numbers.Add(long.Parse(digits, System.Globalization.CultureInfo.InvariantCulture));
                sections.Add(AfterSectionWord(t, start));
            }
            else
            {
                key.Append(digits); // a long number (an account, a phone number) is text
                continue;
            }
            key.Append('#');
        }
        return (key.ToString(), [.. numbers], [.. sections]);
    }

    /// <summary>
    /// Words whose number is a chapter's, a part's or an appendix's, never the page's, even where it goes up by one a page
    /// (a document of one-page chapters, each page headed "Kapittel 3", "Kapittel 4"): Norwegian, Danish, Swedish and
    /// English.
    /// </summary>
    private static readonly HashSet<string> SectionWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "kapittel", "kapitel", "kap", "chapter", "del", "part", "avsnitt", "afsnit", "seksjon", "sektion", "section",
        "vedlegg", "bilag", "bilaga", "appendix", "artikkel", "artikel", "article",
    };

    // Whether the word before the number starting at t[start] (past spaces and a full stop: "Kap. 3") is a section word.
    private static bool AfterSectionWord(string t, int start)
    {
        int end = start;
        while (end > 0 && (t[end - 1] == ' ' || t[end - 1] == '.')) end--;
        int begin = end;
        while (begin > 0 && char.IsLetter(t[begin - 1])) begin--;
        return end > begin && SectionWords.Contains(t[begin..end]);
    }

    // Whether the line is a page's furniture by its form: it does not end as a sentence does ("Kapittel 3 handler om
    // ...", or the same letter scanned twice), and each of its numbers is the same on every page or, unless it follows a
    // section word ("Kapittel 3"), differs from the page's index by the same amount.
    private static bool Furniture(string key, List<(int Page, int Line, long[] Numbers, bool[] Sections)> group)
    {
        if (".!?".Contains(key[^1])) return false;
        int slots = group[0].Numbers.Length;
        if (group.Any(g => g.Numbers.Length != slots)) return false; // a '#' of the text's own made the keys alike
        for (int s = 0; s < slots; s++)
        {
            long first = group[0].Numbers[s], offset = first - group[0].Page;
            if (group.All(g => g.Numbers[s] == first)) continue;
            if (group[0].Sections[s] || !group.All(g => g.Numbers[s] - g.Page == offset)) return false;
        }
        return true;
    }
}
