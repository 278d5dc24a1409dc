namespace Skald.Data.Ingest;

/// <summary>
/// A passage of whole sentences (and table rows) from one section of one document, at most the chunk budget in tokens.
/// </summary>
/// <param name="Id">Stable id: <c>d{document}-c{chunk}</c> in ingest order.</param>
/// <param name="Source">The file it comes from (for .jsonl rows, <c>file:line</c>).</param>
/// <param name="Heading">The heading of its section ("" when none).</param>
/// <param name="Start">Offset of its first character in the cleaned document text (a repeated header row's, before it, aside).</param>
/// <param name="End">Offset just after its last character.</param>
/// <param name="Sentences">Its sentences and table rows (spans in the cleaned document text), in order; when it repeats its
/// table's header row (<see cref="RepeatsHeader"/>), that row's span comes first, before <paramref name="Start"/>.</param>
/// <param name="SentenceTexts">The text of each sentence or table row.</param>
/// <param name="Tokens">The length of its text (<see cref="Text"/>, a repeated header row included) in tokens of the counter
/// used for chunking.</param>
public sealed record Chunk(string Id, string Source, string Heading, int Start, int End, IReadOnlyList<TextSpan> Sentences,
    IReadOnlyList<string> SentenceTexts, int Tokens)
{
    /// <summary>
    /// Which of <see cref="SentenceTexts"/> are table rows (or a piece of a row longer than a chunk), by index; empty
    /// when none is.
    /// </summary>
    public IReadOnlyList<bool> TableRows { get; init; } = [];

    /// <summary>
    /// The sentences joined by single spaces, each table row on a line of its own (its cells joined by " | ", as a
    /// Markdown table row), so one row's cells never run into the next row's.
    /// </summary>
    public string Text => Join(_ => true);

    /// <summary>
    /// What leads this chunk from before it: the caption of the table (the lead-ins right before its first row, "Satsene
    /// for 2025:") whose rows the chunk starts with but which it does not hold; "" when none. Like <see cref="Heading"/> it
    /// is outside <see cref="Tokens"/> and <see cref="Text"/>, and an index shows both in its title (<see cref="Title"/>), which
    /// counts against the chunk budget with <see cref="ChunkOptions.TitleInBudget"/>.
    /// </summary>
    public string Context { get; init; } = "";

    /// <summary>The heading and the context, as an index's title (<see cref="TitleOf"/>).</summary>
    public string Title => TitleOf(Heading, Context);

    /// <summary>
    /// Whether the chunk starts with its table's header row repeated (the table's first row, held by an earlier chunk): the
    /// chunk holds rows of a table that began before it, and the header names their columns. It is the first of
    /// <see cref="Sentences"/> and counts in <see cref="Tokens"/>.
    /// </summary>
    public bool RepeatsHeader { get; init; }

    /// <summary>A title of a heading and a context: either alone, or both joined by " – " ("" when neither).</summary>
    public static string TitleOf(string heading, string context)
    {
        ArgumentNullException.ThrowIfNull(heading);
        ArgumentNullException.ThrowIfNull(context);
        return context.Length == 0 ? heading : heading.Length == 0 ? context : heading + " \u2013 " + context;
    }

    /// <summary>Whether the text at index <paramref name="i"/> of <see cref="SentenceTexts"/> is a table row.</summary>
    public bool IsTableRow(int i) => i < TableRows.Count && TableRows[i];

    /// <summary>
    /// The texts whose index <paramref name="keep"/> accepts, joined as <see cref="Text"/> joins them (a passage with
    /// some sentences taken out).
    /// </summary>
    public string Join(Func<int, bool> keep)
    {
        ArgumentNullException.ThrowIfNull(keep);
        var sb = new System.Text.StringBuilder();
        int last = -1;
        for (int i = 0; i < SentenceTexts.Count; i++)
        {
            if (!keep(i)) continue;
            if (last >= 0) sb.Append(IsTableRow(i) || IsTableRow(last) ? '\n' : ' ');
            sb.Append(SentenceTexts[i]);
            last = i;
        }
        return sb.ToString();
    }
}
