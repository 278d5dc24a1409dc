using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using W = DocumentFormat.OpenXml.Wordprocessing;
using Skald.Data.Ingest;
using Skald.Data.Ingest.Readers;

namespace Skald.Data.Tests;

/// <summary>
/// An empty table cell was left out of its row's line, so the cells after it moved left under the wrong header: under
/// "Navn | Alder | By", "Kari | Oslo" gave Kari the age Oslo. An empty cell now keeps its place as "–" (the empty ones at
/// a row's end are left off, nothing after them moves; a row of empty cells is still left out), in .docx, .html,
/// Markdown and PDF tables alike; a merged cell (.docx gridSpan and vMerge, HTML colspan and rowspan) stands in each
/// place it covers, as the reader sees it over them, and a row of one cell spanning the table is that cell once.
/// </summary>
public sealed class TableEmptyCellTests
{
    private static List<string> Rows(IEnumerable<DocumentBlock> blocks) =>
        [.. blocks.Where(b => b.Kind == BlockKind.TableRow).Select(b => b.Text)];

    private static W.TableCell Cell(string text, int span = 1, W.MergedCellValues? merge = null, bool continues = false)
    {
        var props = new W.TableCellProperties();
        if (span > 1) props.Append(new W.GridSpan { Val = span });
        if (merge is { } m) props.Append(new W.VerticalMerge { Val = m });
        else if (continues) props.Append(new W.VerticalMerge()); // no val: goes on from the cell above
        return new W.TableCell(props, new W.Paragraph(new W.Run(new W.Text(text))));
    }

    private static string Docx(params W.TableRow[] rows)
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "tabell.docx");
        using (var doc = WordprocessingDocument.Create(path, WordprocessingDocumentType.Document))
        {
            var main = doc.AddMainDocumentPart();
            main.Document = new W.Document(new W.Body(new W.Paragraph(new W.Run(new W.Text("Ansatte:"))), new W.Table(rows)));
            main.Document.Save();
        }
        return path;
    }

    [Fact]
    public void ADocxRowsEmptyCellsKeepTheirPlaces()
    {
        string path = Docx(
            new W.TableRow(Cell("Navn"), Cell("Alder"), Cell("By"), Cell("Telefon")),
            new W.TableRow(Cell("Kari"), Cell(""), Cell("Oslo"), Cell("22 33 44 55")),
            new W.TableRow(Cell(""), Cell("41"), Cell("Bergen"), Cell("")),
            new W.TableRow(Cell(""), Cell(" "), Cell(""), Cell("")),
            new W.TableRow(new W.TableRowProperties(new W.GridBefore { Val = 2 }), Cell("Tromsø"), Cell("77 00 00 00")));
        Assert.Equal(["Navn | Alder | By | Telefon", "Kari | – | Oslo | 22 33 44 55", "– | 41 | Bergen", "– | – | Tromsø | 77 00 00 00"],
            Rows(DocxReader.Read(path)));
        // through the clean-up and the chunker: the dash stays between its separators
        var chunk = Assert.Single(DocumentIngest.Ingest([path], new ChunkOptions { ChunkTokens = 64, OverlapTokens = 0 }).Chunks);
        Assert.Equal("Ansatte:\nNavn | Alder | By | Telefon\nKari | – | Oslo | 22 33 44 55\n– | 41 | Bergen\n– | – | Tromsø | 77 00 00 00", chunk.Text);
    }

    [Fact]
    public void ADocxMergedCellStandsInEachPlaceItCoversAndATitleAcrossTheTableOnce()
    {
        string path = Docx(
            new W.TableRow(Cell("Ansatte i 2025", span: 3)),
            new W.TableRow(Cell("By"), Cell("Navn"), Cell("Mandag")),
            new W.TableRow(Cell("Oslo", merge: W.MergedCellValues.Restart), Cell("Kari"), Cell("Kontor")),
            new W.TableRow(Cell("", continues: true), Cell("Ola"), Cell("Hjemme")),
            new W.TableRow(Cell("Bergen"), Cell("Per og Pål", span: 2)));
        Assert.Equal(["Ansatte i 2025", "By | Navn | Mandag", "Oslo | Kari | Kontor", "Oslo | Ola | Hjemme", "Bergen | Per og Pål | Per og Pål"],
            Rows(DocxReader.Read(path)));
    }

    [Fact]
    public void AnHtmlRowsEmptyCellsKeepTheirPlacesAndSpannedCellsFillTheirs()
    {
        var blocks = HtmlReader.Parse("<html><body><table>" +
            "<tr><th colspan=\"3\">Ansatte i 2025</th></tr>" +
            "<tr><th></th><th>Alder</th><th>By</th><th>Telefon</th></tr>" +
            "<tr><td>Kari</td><td> </td><td>Oslo</td><td>22 33 44 55</td></tr>" +
            "<tr><td>Ola</td><td>41</td><td></td><td></td></tr>" +
            "<tr><td></td><td></td><td></td><td></td></tr>" +
            "<tr><td rowspan=\"2\">Per</td><td colspan=\"2\">Ukjent</td><td>99 88 77 66</td></tr>" +
            "<tr><td>35</td><td>Bodø</td></tr>" +
            "</table><table><tbody><tr><td rowspan=\"0\">Lønn</td><td>Bergen</td></tr><tr><td>Bodø</td></tr></tbody>" +
            "<tbody><tr><td>Arkiv</td><td>Førde</td></tr></tbody></table></body></html>");
        Assert.Equal(["Ansatte i 2025", "– | Alder | By | Telefon", "Kari | – | Oslo | 22 33 44 55", "Ola | 41", "Per | Ukjent | Ukjent | 99 88 77 66",
            "Per | 35 | Bodø", "Lønn | Bergen", "Lønn | Bodø", "Arkiv | Førde"], Rows(blocks));
    }

    [Fact]
    public void AMarkdownRowsEmptyCellsKeepTheirPlaces()
    {
        var blocks = MarkdownReader.Parse("| | 2024 | 2025 |\n|---|---|---|\n| Ost | | 120 kr |\n|Brød||42 kr|\n| | | |\n| Melk | 20 kr | |\n" +
            "\nNavn | Alder | By\n--- | --- | ---\nKari | | Oslo\n");
        Assert.Equal(["– | 2024 | 2025", "Ost | – | 120 kr", "Brød | – | 42 kr", "Melk | 20 kr", "Navn | Alder | By", "Kari | – | Oslo"], Rows(blocks));
        // a header with an empty corner is still the header a later chunk repeats
        var chunks = Chunker.Split(DocumentIngest.Build("t", blocks[..4])!, 0, new ChunkOptions { ChunkTokens = 16, OverlapTokens = 0 });
        Assert.Equal(["– | 2024 | 2025\nOst | – | 120 kr", "– | 2024 | 2025\nBrød | – | 42 kr\nMelk | 20 kr"], chunks.Select(c => c.Text));
    }

    [Fact]
    public void APdfRowsEmptyCellKeepsItsColumn()
    {
        double[] columns = [40, 160, 280, 400];
        IEnumerable<(string, double, double)> Row(double y, params string[] cells) =>
            cells.Select((c, k) => (c, columns[k], y)).Where(c => c.c.Length > 0);
        string path = TestDocuments.PdfAt(TestPaths.NewTempDir(), "ansatte.pdf",
        [
            ("Ansatte per kontor:", 40, 800),
            .. Row(770, "Navn", "Alder", "By", "Telefon"),
            .. Row(755, "Kari", "", "Oslo", "22 33 44 55"),
            .. Row(740, "Ola", "41", "", "99 88 77 66"),
            .. Row(725, "Per", "35", "Bergen", ""),
            ("Listen gjelder fra mars.", 40, 695),
        ]);
        Assert.Equal(["Navn | Alder | By | Telefon", "Kari | – | Oslo | 22 33 44 55", "Ola | 41 | – | 99 88 77 66", "Per | 35 | Bergen"],
            Rows(PdfReader.Read(path, Ocr.Off, [])));
    }
}
