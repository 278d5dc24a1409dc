using UglyToad.PdfPig;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Geometry;

namespace Skald.Data.Ingest.Readers;

/// <summary>
/// .pdf (PdfPig, pure .NET): each page's text in content order (PdfPig's ContentOrderTextExtractor, <see cref="PdfPageLines"/>)
/// without its running header and footer lines (<see cref="RunningLines"/>, by their place in the text and on the page);
/// lines in a font clearly larger than the body's, or short lines all in bold over plain text, are headings
/// (<see cref="FontHeadings"/>), and the rest is split into paragraphs at blank lines and after
/// heading-like lines (<see cref="SeparateHeadingLines"/>); a table's rows found from its words' positions
/// (<see cref="PdfTables"/>) are table rows, their cells joined by " | "; words hyphenated at a line end are joined by the clean-up. A scanned page (an image over
/// half of it, no text layer or only a stamp) is read by OCR (<see cref="Ocr"/>) when it is on and installed; otherwise it is
/// reported in <c>notices</c>, and a PDF of scanned pages only is a <see cref="DataException"/> saying why (one of
/// <see cref="DataException.UnreadPictures"/>: a file without text until OCR can read it, not a damaged one).
/// </summary>
public static class PdfReader
{
    /// <summary>The paragraphs of the file at <paramref name="path"/>, scanned pages read as <paramref name="ocr"/> says;
    /// what could not be read is added to <paramref name="notices"/>, one line each; <paramref name="progress"/> hears each
    /// page OCR has read.</summary>
    public static List<DocumentBlock> Read(string path, Ocr ocr, List<string> notices, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(ocr);
        ArgumentNullException.ThrowIfNull(notices);
        using var doc = PdfDocument.Open(path);
        // every page's lines (none when not read), whether it was typed, and the blocks of its pictures read by OCR
        var pages = new List<(List<PdfLine> Lines, bool Typed, List<DocumentBlock> Pictures, bool WentOn)>();
        var unread = new List<int>();
        PdfTableColumns? open = null; // a table running to the bottom of the page before, which may go on at the top of this one
        foreach (var page in doc.GetPages())
        {
            var pictures = new List<DocumentBlock>();
            if (!IsScanned(page))
            {
                pages.Add((PdfPageLines.Of(page, open, out open, out bool wentOn), true, pictures, wentOn));
                if (ocr.PdfUnavailable is null) ReadPictures(path, doc.NumberOfPages, page, ocr, pictures, notices, progress);
                if (pictures.Count > 0) open = null; // its pictures' text comes after its rows
                continue;
            }
            pages.Add(([], false, pictures, false));
            open = null;
            if (ocr.PdfUnavailable is not null)
            {
                unread.Add(page.Number);
                continue;
            }
            try
            {
                pages[^1].Lines.AddRange(ocr.ReadPdfPage(path, page.Number).Split('\n').Select(l => new PdfLine(l, 0)));
                progress?.Invoke($"{path}: page {page.Number} of {doc.NumberOfPages} read by OCR");
            }
            catch (DataException e)
            {
                notices.Add($"{path}: page {page.Number}: {e.Message}");
            }
        }
        var blocks = Blocks(pages);
        if (unread.Count > 0)
        {
            string what = $"{(unread.Count == 1 ? "page " : "pages ")}{string.Join(", ", unread)} {(unread.Count == 1 ? "has" : "have")} no text layer (scanned)";
            if (blocks.Count == 0) throw new DataException($"{path}: {what}; {ocr.PdfUnavailable}") { UnreadPictures = true };
            notices.Add($"{path}: {what}, not read: {ocr.PdfUnavailable}");
        }
        return blocks;
    }

    // The pages' blocks in order: running headers and footers dropped (RunningLines), a typed page's lines in a font
    // clearly larger than the body's made headings (FontHeadings) and the rest split into paragraphs (after
    // SeparateHeadingLines, against the whole page's width); a page read by OCR split at its blank lines; each page's
    // pictures after its text; a table going on over a page break one run of rows (KeepTableTogether).
    private static List<DocumentBlock> Blocks(List<(List<PdfLine> Lines, bool Typed, List<DocumentBlock> Pictures, bool WentOn)> pages)
    {
        var drop = RunningLines.Find([.. pages.Select(p => (IReadOnlyList<string>)[.. p.Lines.Select(l => l.Text)])],
            [.. pages.Select(p => (IReadOnlyList<double>)[.. p.Lines.Select(l => l.Y)])]);
        var kept = pages.Select((p, n) => p.Lines.Where((_, i) => !drop[n][i]).ToList()).ToList();
        double body = FontHeadings.BodySize(kept.Where((_, n) => pages[n].Typed).SelectMany(l => l));
        var blocks = new List<DocumentBlock>();
        int last = -1, lastWidth = 0; // the previous pages' last block of text (their pictures come after it), its page's width
        for (int n = 0; n < pages.Count; n++)
        {
            var lines = kept[n];
            var text = new List<DocumentBlock>();
            if (!pages[n].Typed)
            {
                text.AddRange(PlainTextReader.Paragraphs(string.Join('\n', lines.Select(l => l.Text))));
            }
            else
            {
                int longest = Width(lines.Where(l => !l.Row).Select(l => l.Text));
                int from = 0; // lines before the next heading
                foreach (var (start, end) in FontHeadings.Find(lines, body).Where(h => !lines.Skip(h.Start).Take(h.End - h.Start).Any(l => l.Row)))
                {
                    AddText(lines, from, start, longest, text);
                    text.Add(new DocumentBlock(BlockKind.Heading, Join(lines, start, end)));
                    from = end;
                }
                AddText(lines, from, lines.Count, longest, text);
            }
            int width = Width(lines.Where(l => !l.Row).Select(l => l.Text));
            if (pages[n].WentOn && KeepTableTogether(blocks, text)) last = blocks.Count - 1;
            if (text.Count > 0 && last >= 0 && RunsOn(blocks[last], text[0], lastWidth))
            {
                blocks[last] = new DocumentBlock(BlockKind.Paragraph, blocks[last].Text.TrimEnd() + "\n" + text[0].Text.TrimStart());
                text.RemoveAt(0);
                lastWidth = width; // its last line is now this page's
            }
            if (text.Count > 0)
            {
                blocks.AddRange(text);
                (last, lastWidth) = (blocks.Count - 1, width);
            }
            blocks.AddRange(pages[n].Pictures);
        }
        return blocks;
    }

    // A table that went on at the top of this page (PdfPageLines' wentOn) stays one run of rows, as the chunker reads a
    // table: the paragraphs between its rows on the page before and its rows here (a "continued" note, a footnote, a
    // header line not dropped as running) are put after its rows here. Not when a heading lies between. Whether they moved.
    private static bool KeepTableTogether(List<DocumentBlock> blocks, List<DocumentBlock> text)
    {
        int lastRow = blocks.FindLastIndex(b => b.Kind == BlockKind.TableRow), first = text.FindIndex(b => b.Kind == BlockKind.TableRow);
        if (lastRow < 0 || first < 0) return false;
        var between = blocks.GetRange(lastRow + 1, blocks.Count - lastRow - 1);
        between.AddRange(text.Take(first));
        if (between.Any(b => b.Kind != BlockKind.Paragraph)) return false;
        int end = first;
        while (end < text.Count && text[end].Kind == BlockKind.TableRow) end++;
        blocks.RemoveRange(lastRow + 1, blocks.Count - lastRow - 1);
        blocks.AddRange(text.Skip(first).Take(end - first));
        text.RemoveRange(0, end);
        text.InsertRange(0, between);
        return true;
    }

    /// <summary>
    /// Whether the first block of a page continues the last block of text before it (its running header, footer and page
    /// number already dropped, its pictures left after it): both are paragraphs, and the earlier one stops without ending
    /// a sentence (no . ! ? or …, before any closing quotes or brackets) in a line that is no heading by
    /// <see cref="SeparateHeadingLines"/>' rule (shorter than <see cref="HeadingLineShare"/> of <paramref name="width"/>, the
    /// earlier page's width in characters, before a capital or a digit), or the later one starts with a lower-case letter.
    /// Then they are one paragraph, joined at a line break (so a word hyphenated across the pages is joined by the clean-up).
    /// </summary>
    public static bool RunsOn(DocumentBlock before, DocumentBlock after, int width)
    {
        if (before.Kind != BlockKind.Paragraph || after.Kind != BlockKind.Paragraph) return false;
        string end = before.Text.TrimEnd().TrimEnd('"', '\'', '\u201D', '\u2019', '\u00BB', ')', ']');
        string start = after.Text.TrimStart();
        if (end.Length == 0 || start.Length == 0) return false;
        if (char.IsLower(start[0])) return true;
        if (".!?\u2026".Contains(end[^1])) return false;
        string lastLine = end[(end.LastIndexOf('\n') + 1)..].Trim();
        if (lastLine.Length == 0) return false;
        return !(lastLine.Length < HeadingLineShare * width && !":;,-\u2013\u00AD".Contains(lastLine[^1]) && (char.IsUpper(start[0]) || char.IsDigit(start[0])));
    }

    // Lines [start, end) of a typed page as blocks: a table's row (PdfTables) a row of its own, the lines between rows
    // split into paragraphs (after SeparateHeadingLines, against the page's width of longest characters).
    private static void AddText(List<PdfLine> lines, int start, int end, int longest, List<DocumentBlock> blocks)
    {
        int from = start;
        for (int i = start; i <= end; i++)
        {
            if (i < end && !lines[i].Row) continue;
            blocks.AddRange(PlainTextReader.Paragraphs(Separate(Join(lines, from, i), longest)));
            if (i < end) blocks.Add(new DocumentBlock(BlockKind.TableRow, lines[i].Text));
            from = i + 1;
        }
    }

    private static string Join(List<PdfLine> lines, int start, int end) => string.Join('\n', lines.Skip(start).Take(end - start).Select(l => l.Text));

    /// <summary>
    /// A page's text with a blank line after each line that reads as a heading or a list item: shorter than
    /// <see cref="HeadingLineShare"/> of the page's width (its 90th percentile line), not ending a sentence or clause (. ! ? : ; , or a
    /// hyphen), and followed by a line that starts with a capital or a digit. The text extractor puts no blank line where
    /// a page leaves space, so a title ran into the first sentence under it ("Rutiner for besøk Besøkende skal ...").
    /// A line of a wrapped sentence is long, or followed by a lower-case word, and stays in its paragraph.
    /// </summary>
    public static string SeparateHeadingLines(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Separate(text, Width(text.Split('\n')));
    }

    // The page's width in characters: the 90th percentile of its lines, so one long table row or address does not make
    // every line of body text look short.
    private static int Width(IEnumerable<string> lines)
    {
        var widths = lines.Select(l => l.Trim().Length).Where(n => n > 0).Order().ToArray();
        return widths.Length == 0 ? 0 : widths[(int)Math.Ceiling(0.9 * widths.Length) - 1];
    }

    // As SeparateHeadingLines(text), against a page width of longest characters (a part of a page is measured against the whole page).
    private static string Separate(string text, int longest)
    {
        var lines = text.Split('\n');
        var sb = new System.Text.StringBuilder(text.Length + 16);
        for (int i = 0; i < lines.Length; i++)
        {
            sb.Append(lines[i]);
            if (i == lines.Length - 1) break;
            sb.Append('\n');
            string line = lines[i].Trim(), next = lines[i + 1].TrimStart();
            if (line.Length > 0 && line.Length < HeadingLineShare * longest && !".!?:;,-\u2013\u00AD".Contains(line[^1])
                && next.Length > 0 && (char.IsUpper(next[0]) || char.IsDigit(next[0])))
                sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>How short, against the page's width, a line is to be read as a heading (<see cref="SeparateHeadingLines"/>).</summary>
    public const double HeadingLineShare = 0.6;

    /// <summary>The smallest share of a typed page a picture covers to be read by OCR (smaller ones are logos and icons).</summary>
    public const double PictureShare = 0.2;

    // A typed page's large pictures (a scanned letter pasted in, a figure with words) that no text layer covers: each read
    // by OCR over its own region, after the page's text. PdfPig gives boxes as the page is shown (turned by its /Rotate,
    // from the visible box's lower-left corner), where a turned page turns an image's box with it: its axis-aligned
    // bounds are the region pdftoppm crops from the page rendered as shown (from its top-left corner).
    private static void ReadPictures(string path, int pages, Page page, Ocr ocr, List<DocumentBlock> blocks, List<string> notices,
        Action<string>? progress)
    {
        double area = page.Width * page.Height;
        foreach (var image in page.GetImages())
        {
            var box = image.BoundingBox.Normalise();
            if (box.Width * box.Height < PictureShare * area) continue;
            int covered = page.Letters.Count(l => !string.IsNullOrWhiteSpace(l.Value) && l.BoundingBox.Centroid is var c
                && c.X >= box.Left && c.X <= box.Right && c.Y >= box.Bottom && c.Y <= box.Top);
            if (covered > StampLetters) continue; // the picture has its own text layer
            try
            {
                blocks.AddRange(PlainTextReader.Paragraphs(ocr.ReadPdfPage(path, page.Number,
                    (box.Left, page.Height - box.Top, box.Width, box.Height))));
                progress?.Invoke($"{path}: a picture on page {page.Number} of {pages} read by OCR");
            }
            catch (DataException e)
            {
                notices.Add($"{path}: page {page.Number}, a picture: {e.Message}");
            }
        }
    }

    /// <summary>
    /// What a scanner makes: a page with an image over at least half of it and at most <see cref="StampLetters"/> letters
    /// of text (none, or a stamp such as a page or case number: OCR of the rendered page reads the stamp too). A scan
    /// with its own OCR text layer has more letters, and that layer is read.
    /// </summary>
    private static bool IsScanned(Page page)
    {
        if (page.Letters.Count(l => !string.IsNullOrWhiteSpace(l.Value)) > StampLetters) return false;
        double area = page.Width * page.Height;
        return page.GetImages().Any(i => Math.Abs(i.BoundingBox.Width * i.BoundingBox.Height) >= 0.5 * area);
    }

    /// <summary>The most letters a scanned page's own text (a stamp) may have.</summary>
    public const int StampLetters = 40;
}
