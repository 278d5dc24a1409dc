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
/// its tokens as its heading is, and a caption that fits no chunk with the row after it is never a chunk of its own.
/// </summary>
public static class Chunker
{
    /// <summary>The chunks of <paramref name="doc"/>; ids are <c>d{documentIndex}-c{n}</c>.</summary>
    public static List<Chunk> Split(SourceDocument doc, int documentIndex, ChunkOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ChunkTokens, 1);
        var chunks = new List<Chunk>();
        string heading = "";
        var section = new List<Unit>();
        (int From, int To) caption = (0, 0); // the lead-ins (section indices) before the current table's first row
        bool inTable = false;
        foreach (var (kind, start, end) in doc.Blocks)
        {
            if (kind == BlockKind.TableRow && !inTable)
            {
                int from = section.Count;
                while (from > 0 && section[from - 1].LeadIn) from--;
                caption = (from, section.Count);
            }
            inTable = kind == BlockKind.TableRow;
            if (kind == BlockKind.Heading)
            {
                Pack(doc, documentIndex, heading, section, options, chunks);
                section.Clear();
                heading = doc.Text[start..end];
                continue;
            }
            if (kind == BlockKind.TableRow)
            {
                var row = new TextSpan(start, end);
                int rowTokens = options.Counter.Count(doc.Text[start..end]);
                if (rowTokens <= options.ChunkTokens) section.Add(new Unit(row, rowTokens, false, true, caption));
                else section.AddRange(SplitRow(doc.Text, row, options, FirstPieceBudget(section, options)).Select(p => new Unit(p.Item1, p.Item2, false, true, caption)));
                continue;
            }
            var sentences = SentenceSplitter.Split(doc.Text[start..end], start);
            for (int n = 0; n < sentences.Count; n++)
            {
                var s = sentences[n];
                string text = doc.Text[s.Start..s.End];
                int tokens = options.Counter.Count(text), first = FirstPieceBudget(section, options);
                // a sentence that fits a chunk but not after the lead-ins before it is cut as a longer one is, or they
                // would stand in a chunk of their own
                bool leadIn = n == sentences.Count - 1 && IsLeadIn(text);
                if (tokens <= options.ChunkTokens && (leadIn || tokens <= first)) section.Add(new Unit(s, tokens, leadIn, false, default));
                else section.AddRange(SplitLong(doc.Text, s, options, first).Select(p => new Unit(p.Item1, p.Item2, false, false, default)));
            }
        }
        Pack(doc, documentIndex, heading, section, options, chunks);
        return chunks;
    }

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
        if (t.Length == 0 || ".!?…;,".Contains(t[^1]) || t.Contains(" | ", StringComparison.Ordinal)) return false;
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
    private readonly record struct Unit(TextSpan Span, int Tokens, bool LeadIn, bool Row, (int From, int To) Caption);

    private static void Pack(SourceDocument doc, int documentIndex, string heading, List<Unit> sentences,
        ChunkOptions options, List<Chunk> chunks)
    {
        int i = 0;
        while (i < sentences.Count)
        {
            int j = i, sum = 0;
            while (j < sentences.Count && (j == i || (sum + sentences[j].Tokens <= options.ChunkTokens && !GoesOnWithRow(doc.Text, sentences, j))))
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
            var spans = sentences.Skip(i).Take(j - i).Select(s => s.Span).ToArray();
            bool[] rows = [.. sentences.Skip(i).Take(j - i).Select(s => s.Row)];
            var (from, to) = sentences[i].Caption;
            string context = sentences[i].Row && from < to && from < i
                ? string.Join(" ", sentences.Skip(from).Take(to - from).Select(s => doc.Text[s.Span.Start..s.Span.End])) : "";
            chunks.Add(new Chunk($"d{documentIndex}-c{chunks.Count}", doc.Source, heading, spans[0].Start, spans[^1].End, spans,
                [.. spans.Select(s => doc.Text[s.Start..s.End])], sum) { TableRows = rows.Contains(true) ? rows : [], Context = context });
            if (j >= sentences.Count) break;
            if (sentences[j].LeadIn)
            {
                i = j; // a new part starts: no overlap from before it
                continue;
            }
            // Overlap: the trailing sentences that fit in the overlap budget, but always move forward; none when the chunk
            // ends inside a row cut in pieces (the piece repeated would stand on a line of its own above the next one).
            int next = j, overlap = 0;
            while (next - 1 > i && !GoesOnWithRow(doc.Text, sentences, j) && overlap + sentences[next - 1].Tokens <= options.OverlapTokens)
                overlap += sentences[--next].Tokens;
            i = next;
        }
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
    /// How long the first piece of an over-long sentence may be: the budget less the lead-ins the section ends with (a
    /// heading line and a line ending in a colon start the next chunk), so they lead that piece rather than standing in a
    /// chunk of their own; the whole budget when there are none or they fill it.
    /// </summary>
    private static int FirstPieceBudget(List<Unit> section, ChunkOptions options)
    {
        int lead = 0;
        for (int m = section.Count - 1; m >= 0 && section[m].LeadIn; m--) lead += section[m].Tokens;
        return lead < options.ChunkTokens ? options.ChunkTokens - lead : options.ChunkTokens;
    }

    /// <summary>
    /// Cuts a table row longer than the budget between its cells (" | ") into pieces of at most the budget, the first of
    /// at most <paramref name="firstBudget"/>; a cell longer than the budget alone is cut between words
    /// (<see cref="SplitLong"/>), and one that fits the budget but not the first piece's starts a full-budget piece.
    /// </summary>
    private static List<(TextSpan, int)> SplitRow(string text, TextSpan row, ChunkOptions options, int firstBudget)
    {
        var pieces = new List<(TextSpan, int)>();
        int budget = firstBudget, pieceStart = -1, pieceEnd = -1, pieceTokens = 0;
        foreach (var cell in Cells(text, row))
        {
            if (pieceStart >= 0)
            {
                int joined = options.Counter.Count(text[pieceStart..cell.End]);
                if (joined <= budget)
                {
                    (pieceEnd, pieceTokens) = (cell.End, joined);
                    continue;
                }
                pieces.Add((new TextSpan(pieceStart, pieceEnd), pieceTokens));
                (pieceStart, budget) = (-1, options.ChunkTokens);
            }
            int own = options.Counter.Count(text[cell.Start..cell.End]);
            if (own > options.ChunkTokens)
            {
                pieces.AddRange(SplitLong(text, cell, options, budget));
                budget = options.ChunkTokens;
                continue;
            }
            if (own > budget) budget = options.ChunkTokens;
            (pieceStart, pieceEnd, pieceTokens) = (cell.Start, cell.End, own);
        }
        if (pieceStart >= 0) pieces.Add((new TextSpan(pieceStart, pieceEnd), pieceTokens));
        return pieces;
    }

    /// <summary>The cells of a row (spans between its " | " separators).</summary>
    private static IEnumerable<TextSpan> Cells(string text, TextSpan row)
    {
        int start = row.Start;
        while (start < row.End)
        {
            int bar = text.IndexOf(" | ", start, row.End - start, StringComparison.Ordinal);
            int end = bar < 0 ? row.End : bar;
            if (end > start) yield return new TextSpan(start, end);
            start = bar < 0 ? row.End : bar + 3;
        }
    }

    /// <summary>Cuts an over-long sentence into word-bounded pieces of at most the budget, the first of at most
    /// <paramref name="firstBudget"/> (a single longer word stays whole).</summary>
    private static IEnumerable<(TextSpan, int)> SplitLong(string text, TextSpan s, ChunkOptions options, int firstBudget)
    {
        int pieceStart = s.Start, pieceTokens = 0, lastEnd = s.Start, budget = firstBudget;
        int p = s.Start;
        while (p < s.End)
        {
            int wStart = p;
            while (wStart < s.End && char.IsWhiteSpace(text[wStart])) wStart++;
            if (wStart >= s.End) break;
            int wEnd = wStart;
            while (wEnd < s.End && !char.IsWhiteSpace(text[wEnd])) wEnd++;
            int t = options.Counter.Count(text[wStart..wEnd]);
            if (pieceTokens > 0 && pieceTokens + t > budget)
            {
                yield return (new TextSpan(pieceStart, lastEnd), pieceTokens);
                pieceStart = wStart;
                pieceTokens = 0;
                budget = options.ChunkTokens;
            }
            pieceTokens += t;
            lastEnd = wEnd;
            p = wEnd;
        }
        if (pieceTokens > 0) yield return (new TextSpan(pieceStart, lastEnd), pieceTokens);
    }
}
