namespace Skald.Data.Ingest;

/// <summary>
/// How the <see cref="Chunker"/> cuts a sentence or a table row longer than a chunk: a row between its cells, a sentence
/// (or a cell longer than a chunk alone) between words, never inside a word.
/// </summary>
internal static class ChunkPieces
{
    /// <summary>
    /// Cuts a table row longer than <paramref name="room"/> between its cells (" | ") into pieces of at most it, the first
    /// of at most <paramref name="firstBudget"/>; a cell longer than the room alone is cut between words
    /// (<see cref="Words"/>), and one that fits the room but not the first piece's budget starts a full piece.
    /// </summary>
    public static List<(TextSpan, int)> Row(string text, TextSpan row, TokenCounter counter, int room, int firstBudget)
    {
        var pieces = new List<(TextSpan, int)>();
        int budget = firstBudget, pieceStart = -1, pieceEnd = -1, pieceTokens = 0;
        foreach (var cell in Cells(text, row))
        {
            if (pieceStart >= 0)
            {
                int joined = counter.Count(text[pieceStart..cell.End]);
                if (joined <= budget)
                {
                    (pieceEnd, pieceTokens) = (cell.End, joined);
                    continue;
                }
                pieces.Add((new TextSpan(pieceStart, pieceEnd), pieceTokens));
                (pieceStart, budget) = (-1, room);
            }
            int own = counter.Count(text[cell.Start..cell.End]);
            if (own > room)
            {
                pieces.AddRange(Words(text, cell, counter, room, budget));
                budget = room;
                continue;
            }
            if (own > budget) budget = room;
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
            int bar = text.IndexOf(TableRowText.Separator, start, row.End - start, StringComparison.Ordinal);
            int end = bar < 0 ? row.End : bar;
            if (end > start) yield return new TextSpan(start, end);
            start = bar < 0 ? row.End : bar + TableRowText.Separator.Length;
        }
    }

    /// <summary>Cuts an over-long sentence into word-bounded pieces of at most <paramref name="room"/>, the first of at
    /// most <paramref name="firstBudget"/> (a single longer word stays whole).</summary>
    public static IEnumerable<(TextSpan, int)> Words(string text, TextSpan s, TokenCounter counter, int room, int firstBudget)
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
            int t = counter.Count(text[wStart..wEnd]);
            if (pieceTokens > 0 && pieceTokens + t > budget)
            {
                yield return (new TextSpan(pieceStart, lastEnd), pieceTokens);
                pieceStart = wStart;
                pieceTokens = 0;
                budget = room;
            }
            pieceTokens += t;
            lastEnd = wEnd;
            p = wEnd;
        }
        if (pieceTokens > 0) yield return (new TextSpan(pieceStart, lastEnd), pieceTokens);
    }
}
