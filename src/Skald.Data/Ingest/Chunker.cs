namespace Skald.Data.Ingest;

/// <summary>
/// Cuts a <see cref="SourceDocument"/> into <see cref="Chunk"/>s: each section (the paragraphs after a heading) is
/// split into sentences, and consecutive sentences are packed greedily up to <see cref="ChunkOptions.ChunkTokens"/>;
/// the next chunk starts with the last sentences of the previous one that fit in <see cref="ChunkOptions.OverlapTokens"/>
/// (never the whole chunk). A sentence longer than the budget is cut between words, never inside one. Chunks never
/// cross a heading. A lead-in — a paragraph's last sentence when it is short and ends in no sentence punctuation (a
/// heading that a PDF, a style-less .docx or a .txt gives as a plain line, "Overtid") or in a colon — never ends a chunk
/// when text follows it: the chunk ends before it and the next one starts with it, with no overlap from before it; when
/// what follows is a sentence that does not fit the budget together with the lead-ins (one longer than the budget, or
/// one that fits it alone), its first piece is cut short enough for the lead-ins to lead it. A table row
/// (<see cref="BlockKind.TableRow"/>) is one unit, never split into sentences: a row longer than the budget is cut
/// between its cells (a cell longer than the budget alone between words), its pieces never in one chunk nor repeated as
/// overlap, and in the chunk's text each row is a line of its own (<see cref="Chunk.Text"/>). The lead-ins right before
/// a table's first row are its caption ("Satsene for
/// 2025:"): a chunk that starts with a row of that table without holding them (the caption and the first row do not fit
/// one chunk together, or the table runs on from an earlier chunk) carries them in <see cref="Chunk.Context"/>, outside
/// its text as its heading is, and a caption that fits no chunk with the row after it is never a chunk of its own. A
/// table's first row is its header (one rule for every reader: a Markdown table's header row, an HTML or .docx table's
/// first row, a PDF table's top row): a chunk that starts with a later row of the table repeats it as its first line
/// (<see cref="Chunk.RepeatsHeader"/>), so a chunk from the middle of a price table still names its columns. The header
/// counts against the budget like any row (the rows under it get the rest), and is repeated only when it is whole and
/// at most half of what such a chunk holds (<see cref="HeaderFits"/>), and when the first row is no data row, as in a list
/// of name–value pairs (<see cref="TableHeader"/>). With <see cref="ChunkOptions.TitleInBudget"/> a
/// chunk's title (heading and caption) counts against the budget too (<see cref="TextRoom"/>).
/// </summary>
public static class Chunker
{
    /// <summary>The chunks of <paramref name="doc"/>; ids are <c>d{documentIndex}-c{n}</c>.</summary>
    public static List<Chunk> Split(SourceDocument doc, int documentIndex, ChunkOptions options)
    {
        ArgumentNullException.ThrowIfNull(doc);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ChunkTokens, 1);
        var chunks = new List<Chunk>();
        string heading = "";
        int room = options.ChunkTokens; // what a chunk's text may hold in this section (TextRoom)
        var section = new List<Unit>();
        (int From, int To) caption = (0, 0); // the lead-ins (section indices) before the current table's first row
        int header = -1, tableRoom = room; // the current table's header row (its unit; -1: not repeated), the room of its chunks
        bool inTable = false;
        bool headed = true; // whether the current table's first row is its header (TableHeader)
        for (int k = 0; k < doc.Blocks.Count; k++)
        {
            var (kind, start, end) = doc.Blocks[k];
            if (kind == BlockKind.Heading)
            {
                Pack(doc, documentIndex, heading, section, options, chunks);
                section.Clear();
                heading = doc.Text[start..end];
                room = TextRoom(options, heading, "");
                inTable = false;
                continue;
            }
            if (kind == BlockKind.TableRow)
            {
                bool first = !inTable;
                if (first)
                {
                    int from = section.Count;
                    while (from > 0 && section[from - 1].LeadIn) from--;
                    caption = (from, section.Count);
                    tableRoom = TextRoom(options, heading, CaptionText(doc.Text, section, caption));
                    header = -1;
                    headed = TableHeader.FirstIsHeader(TableRows(doc, k));
                }
                inTable = true;
                var row = new TextSpan(start, end);
                int rowTokens = options.Counter.Count(doc.Text[start..end]);
                // a row may start a chunk that repeats the header above it, under a title with the caption
                int rowRoom = tableRoom - (header >= 0 ? section[header].Tokens : 0);
                if (rowTokens <= rowRoom) section.Add(new Unit(row, rowTokens, false, true, caption, header));
                else section.AddRange(ChunkPieces.Row(doc.Text, row, options.Counter, rowRoom, FirstPieceBudget(section, rowRoom))
                    .Select(p => new Unit(p.Item1, p.Item2, false, true, caption, header)));
                if (first && headed && section[^1].Span == row && HeaderFits(rowTokens, tableRoom)) header = section.Count - 1;
                continue;
            }
            inTable = false;
            var sentences = SentenceSplitter.Split(doc.Text[start..end], start);
            for (int n = 0; n < sentences.Count; n++)
            {
                var s = sentences[n];
                string text = doc.Text[s.Start..s.End];
                int tokens = options.Counter.Count(text), firstPiece = FirstPieceBudget(section, room);
                // a sentence that fits a chunk but not after the lead-ins before it is cut as a longer one is, or they
                // would stand in a chunk of their own
                bool leadIn = n == sentences.Count - 1 && IsLeadIn(text);
                if (tokens <= room && (leadIn || tokens <= firstPiece)) section.Add(new Unit(s, tokens, leadIn, false, default, -1));
                else section.AddRange(ChunkPieces.Words(doc.Text, s, options.Counter, room, firstPiece).Select(p => new Unit(p.Item1, p.Item2, false, false, default, -1)));
            }
        }
        Pack(doc, documentIndex, heading, section, options, chunks);
        return chunks;
    }

    /// <summary>
    /// The tokens a chunk's text may have under the title of <paramref name="heading"/> and <paramref name="context"/>
    /// (<see cref="Chunk.TitleOf"/>): the budget, less the title's tokens when it counts
    /// (<see cref="ChunkOptions.TitleInBudget"/>), but at least a quarter of the budget (rounded up), so a heading as long
    /// as a chunk (a PDF's paragraph taken for one) does not cut its section into chunks of a word or two; such a title
    /// and its text run over the budget.
    /// </summary>
    public static int TextRoom(ChunkOptions options, string heading, string context)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.TitleInBudget) return options.ChunkTokens;
        int title = options.Counter.Count(Chunk.TitleOf(heading, context));
        return Math.Max(options.ChunkTokens - title, (options.ChunkTokens + 3) / 4);
    }

    /// <summary>
    /// Whether a table's first row, of <paramref name="tokens"/>, is repeated as its header in the chunks of its later rows:
    /// when it is whole (not cut, as a row longer than a chunk is) and at most half of <paramref name="room"/>, the room of
    /// those chunks, so the rows under it keep at least the other half.
    /// </summary>
    private static bool HeaderFits(int tokens, int room) => tokens <= room / 2;

    // The texts of the table whose first row is block k: its rows, the table row blocks from k on.
    private static List<string> TableRows(SourceDocument doc, int k)
    {
        var rows = new List<string>();
        for (int j = k; j < doc.Blocks.Count && doc.Blocks[j].Kind == BlockKind.TableRow; j++) rows.Add(doc.Text[doc.Blocks[j].Start..doc.Blocks[j].End]);
        return rows;
    }

    // The caption's text: its lead-ins [From, To) of the section joined by spaces ("" when none).
    private static string CaptionText(string text, List<Unit> units, (int From, int To) caption) =>
        string.Join(" ", units.Skip(caption.From).Take(caption.To - caption.From).Select(u => text[u.Span.Start..u.Span.End]));

    /// <summary>The most words a lead-in paragraph has (<see cref="IsLeadIn"/>).</summary>
    internal const int LeadInWords = 12;

    /// <summary>
    /// Whether a paragraph's last sentence, <paramref name="text"/>, leads into what follows: at most
    /// <see cref="LeadInWords"/> words, not a table row (" | "), and ending in a colon or in no sentence or clause
    /// punctuation (. ! ? … ; ,) at all.
    /// </summary>
    internal static bool IsLeadIn(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.TrimEnd();
        if (t.Length == 0 || ".!?…;,".Contains(t[^1]) || t.Contains(TableRowText.Separator, StringComparison.Ordinal)) return false;
        int words = 1;
        foreach (char c in t) if (c == ' ') words++;
        return words <= LeadInWords;
    }

    /// <summary>A sentence, a table row or a piece of a longer one, as the packer sees it.</summary>
    /// <param name="Span">Its text in the document.</param>
    /// <param name="Tokens">Its length in tokens.</param>
    /// <param name="LeadIn">Whether it leads into what follows (<see cref="IsLeadIn"/>).</param>
    /// <param name="Row">Whether it is a table row (or a piece of one).</param>
    /// <param name="Caption">For a row: the section's units [From, To) that are its table's caption, the lead-ins right
    /// before the table's first row (empty when none).</param>
    /// <param name="Header">For a row: the section's unit that is its table's header row, repeated in a chunk that starts
    /// with the row without holding it (<see cref="HeaderFits"/>); -1 when none is.</param>
    private readonly record struct Unit(TextSpan Span, int Tokens, bool LeadIn, bool Row, (int From, int To) Caption, int Header);

    private static void Pack(SourceDocument doc, int documentIndex, string heading, List<Unit> sentences,
        ChunkOptions options, List<Chunk> chunks)
    {
        int i = 0;
        while (i < sentences.Count)
        {
            var (context, header, room) = Lead(doc.Text, heading, sentences, i, options);
            int j = i, sum = header >= 0 ? sentences[header].Tokens : 0;
            while (j < sentences.Count && (j == i || (sum + sentences[j].Tokens <= room && !GoesOnWithRow(doc.Text, sentences, j))))
                sum += sentences[j++].Tokens;
            // Lead-ins at the end, with text after them, go to the next chunk, unless nothing but lead-ins would stay
            // (a list of short items longer than a chunk).
            int k = j;
            while (j < sentences.Count && k - 1 > i && sentences[k - 1].LeadIn) k--;
            if (k < j && !sentences[k - 1].LeadIn)
            {
                for (int m = k; m < j; m++) sum -= sentences[m].Tokens;
                j = k;
            }
            // a table's caption that does not fit beside its first row leads that row's chunk as its context instead
            if (j < sentences.Count && sentences[j].Row && sentences[j].Caption.From <= i && sentences[j].Caption.To == j)
            {
                i = j;
                continue;
            }
            var held = sentences.Skip(i).Take(j - i);
            if (header >= 0) held = held.Prepend(sentences[header]);
            var spans = held.Select(s => s.Span).ToArray();
            bool[] rows = [.. held.Select(s => s.Row)];
            chunks.Add(new Chunk($"d{documentIndex}-c{chunks.Count}", doc.Source, heading, sentences[i].Span.Start, sentences[j - 1].Span.End, spans,
                [.. spans.Select(s => doc.Text[s.Start..s.End])], sum) { TableRows = rows.Contains(true) ? rows : [], Context = context, RepeatsHeader = header >= 0 });
            if (j >= sentences.Count) break;
            if (sentences[j].LeadIn)
            {
                i = j; // a new part starts: no overlap from before it
                continue;
            }
            // Overlap: the trailing sentences that fit in the overlap budget, but always move forward, and only as many as
            // leave room for the next sentence (a chunk of overlap alone, or a header and its overlap alone, repeats what
            // the chunk before it holds); none when the chunk ends inside a row cut in pieces (the piece repeated would
            // stand on a line of its own above the next one).
            int next = j, overlap = 0;
            while (next - 1 > i && !GoesOnWithRow(doc.Text, sentences, j) && overlap + sentences[next - 1].Tokens <= options.OverlapTokens
                && Lead(doc.Text, heading, sentences, next - 1, options) is var (_, h, r)
                && (h >= 0 ? sentences[h].Tokens : 0) + overlap + sentences[next - 1].Tokens + sentences[j].Tokens <= r)
                overlap += sentences[--next].Tokens;
            i = next;
        }
    }

    /// <summary>
    /// What leads a chunk that starts with unit <paramref name="i"/>: the caption of the table whose rows it starts with
    /// but which it does not hold (its context, "" when none), the unit of that table's header row when it repeats it
    /// (-1 when not: not a table's later row, no header fit to repeat, or the row is the header again, as a PDF writer
    /// prints it atop each page), and the room its text has under its title (<see cref="TextRoom"/>).
    /// </summary>
    private static (string Context, int Header, int Room) Lead(string text, string heading, List<Unit> units, int i, ChunkOptions options)
    {
        var first = units[i];
        string context = first.Row && first.Caption.From < first.Caption.To && first.Caption.From < i ? CaptionText(text, units, first.Caption) : "";
        int header = first.Row && first.Header >= 0 && first.Header < i
            && !text.AsSpan(first.Span.Start, first.Span.Length).SequenceEqual(text.AsSpan(units[first.Header].Span.Start, units[first.Header].Span.Length))
            ? first.Header : -1;
        return (context, header, TextRoom(options, heading, context));
    }

    /// <summary>
    /// Whether unit <paramref name="m"/> goes on with the table row the unit before it is a piece of (a row longer than a
    /// chunk, cut between its cells or words): rows are blocks of their own, a line break apart, while a row's pieces
    /// are not. Such pieces never share a chunk: they were cut because together they exceed it, and each is a line.
    /// </summary>
    private static bool GoesOnWithRow(string text, List<Unit> units, int m) =>
        m > 0 && m < units.Count && units[m - 1].Row && units[m].Row
        && text.AsSpan(units[m - 1].Span.End, units[m].Span.Start - units[m - 1].Span.End).IndexOfAny('\n', '\r') < 0;

    /// <summary>
    /// How long the first piece of an over-long sentence may be: <paramref name="room"/> (what a chunk's text may hold) less
    /// the lead-ins the section ends with (a heading line and a line ending in a colon start the next chunk), so they lead
    /// that piece rather than standing in a chunk of their own; the whole room when there are none or they fill it.
    /// </summary>
    private static int FirstPieceBudget(List<Unit> section, int room)
    {
        int lead = 0;
        for (int m = section.Count - 1; m >= 0 && section[m].LeadIn; m--) lead += section[m].Tokens;
        return lead < room ? room - lead : room;
    }
}
