using Skald.Data.Ingest;
using Skald.Data.Ingest.Readers;

namespace Skald.Data.Tests;

/// <summary>
/// Two ways a PDF table's rows came out wrong (<see cref="PdfTables"/>): a table that went on over a page break with a
/// single row left that row as a line of loose words ("Arkiv Bodø 5"), since one line is no table on its own; and a row
/// whose first cell is empty ("" | Bodø | 4, a second place under the same department) was read as the row above
/// wrapped ("Lønn | Bergen Bodø | 12 4"). The page's last table now goes on at the top of the next page with any row
/// in its columns, and a line under a row is that row wrapped only when it lies closer to it than rows lie to one
/// another, goes on in lower case, or starts each cell with a word that would not have fitted on the row's line.
/// </summary>
public sealed class PdfTableBreakTests
{
    private static readonly double[] Columns = [40, 200, 320];

    private static IEnumerable<(string, double, double)> Row(double y, params string[] cells) =>
        cells.Select((c, k) => (c, Columns[k], y)).Where(c => c.c.Length > 0);

    private static string P(string s) => TestDocuments.PdfText(s);

    private static List<string> Rows(string path) =>
        [.. PdfReader.Read(path, Ocr.Off, []).Where(b => b.Kind == BlockKind.TableRow).Select(b => b.Text)];

    [Fact]
    public void ATableGoingOnWithOneRowOnTheNextPageKeepsThatRowARow()
    {
        var first = new List<(string, double, double)> { ("Personalhåndbok", 40, 810), ("Ansatte per avdeling:", 40, 780) };
        first.AddRange(Row(750, "Avdeling", "Sted", "Ansatte"));
        first.AddRange(Row(735, "Lønn", "Bergen", "12"));
        first.AddRange(Row(720, "Innkjøp", "Førde", "7"));
        first.Add(("Side 1", 40, 40)); // a footer under the table does not end it
        var second = new List<(string, double, double)> { ("Personalhåndbok", 40, 810) }; // nor the running header above its rest
        second.AddRange(Row(780, "Arkiv", "Bodø", "5"));
        second.Add(("Tallene gjelder fra første januar.", 40, 750));
        second.Add(("Side 2", 40, 40));
        string path = TestDocuments.PdfAt(TestPaths.NewTempDir(), "avdelinger.pdf", [.. first], [.. second]);
        Assert.Equal([P("Avdeling | Sted | Ansatte"), P("Lønn | Bergen | 12"), P("Innkjøp | Førde | 7"), P("Arkiv | Bodø | 5")], Rows(path));
        // the rows chunk as one table: the last one under the header
        var chunks = DocumentIngest.Ingest([path], new ChunkOptions { ChunkTokens = 14, OverlapTokens = 0 }).Chunks;
        Assert.Contains(chunks, c => c.Text == P("Avdeling | Sted | Ansatte\nArkiv | Bodø | 5") && c.RepeatsHeader);
    }

    /// <summary>
    /// A table went on over a page break with one row only when nothing but one-cell footer lines lay under it, so a
    /// footer set at tab stops ("Personalhåndbok" left, "Side 1" right: two cells) or a footnote in small print above the
    /// footer ended it, and the row on the next page was loose words. Those are the page's foot too now; a line in the
    /// table's own size under it, low on the page as a footnote would be, still ends it.
    /// </summary>
    [Theory]
    [InlineData("footer", true)]
    [InlineData("footnote", true)]
    [InlineData("text", false)]
    public void ATableGoesOnOverTheBreakUnderAFooterAtTabStopsOrAFootnoteButNotUnderText(string foot, bool goesOn)
    {
        static (string, double, double, double) Sized((string Text, double X, double Y) t) => (t.Text, t.X, t.Y, 10);
        var first = new List<(string, double, double, double)>();
        first.AddRange(Row(750, "Avdeling", "Sted", "Ansatte").Select(Sized));
        first.AddRange(Row(735, "Lønn", "Bergen", "12").Select(Sized));
        first.AddRange(Row(720, "Innkjøp", "Førde", "7").Select(Sized));
        first.AddRange(foot switch
        {
            "footer" => [("Personalhåndbok", 40, 40, 9), ("Side 1", 500, 40, 9)],
            "footnote" => [("* Tallene er foreløpige.", 40, 150, 7), ("Side 1", 40, 40, 9)],
            _ => [("Tallene er foreløpige.", 40, 150, 10), ("Side 1", 40, 40, 9)],
        });
        (string, double, double, double)[] second =
            [.. Row(780, "Arkiv", "Bodø", "5").Select(Sized), ("Neste kapittel handler om ferie.", 40, 750, 10), ("Side 2", 40, 40, 9)];
        string path = TestDocuments.PdfAtSizes(TestPaths.NewTempDir(), "avdelinger.pdf", [.. first], second);
        string[] rows = [P("Avdeling | Sted | Ansatte"), P("Lønn | Bergen | 12"), P("Innkjøp | Førde | 7")];
        Assert.Equal(goesOn ? [.. rows, P("Arkiv | Bodø | 5")] : rows, Rows(path));
    }

    [Fact]
    public void ALineInTheColumnsAtTheTopOfAPageIsNoRowWhenTheTableEndedBeforeTheBottom()
    {
        // a paragraph under the table on the first page: the table ended there
        var first = new List<(string, double, double)>();
        first.AddRange(Row(770, "Avdeling", "Sted", "Ansatte"));
        first.AddRange(Row(755, "Lønn", "Bergen", "12"));
        first.Add(("Tallene gjelder fra første januar i år.", 40, 725));
        var second = Row(800, "Arkiv", "Bodø", "5").ToList();
        second.Add(("Neste kapittel handler om ferie.", 40, 770));
        string path = TestDocuments.PdfAt(TestPaths.NewTempDir(), "avdelinger.pdf", [.. first], [.. second]);
        Assert.Equal([P("Avdeling | Sted | Ansatte"), P("Lønn | Bergen | 12")], Rows(path));
    }

    [Fact]
    public void ARowWithAnEmptyFirstCellIsARowOfItsOwn()
    {
        // rows 15 points apart, the row without a department as far under the one above as every row
        string path = TestDocuments.PdfAt(TestPaths.NewTempDir(), "avdelinger.pdf",
        [
            .. Row(770, "Avdeling", "Sted", "Ansatte"),
            .. Row(755, "Lønn", "Bergen", "12"),
            .. Row(740, "", "Bodø", "4"),
            .. Row(725, "Innkjøp", "Førde", "7"),
            ("Tallene gjelder fra første januar.", 40, 695),
        ]);
        Assert.Equal([P("Avdeling | Sted | Ansatte"), P("Lønn | Bergen | 12"), P("– | Bodø | 4"), P("Innkjøp | Førde | 7")], Rows(path));
    }

    /// <summary>
    /// A table set without padding: a cell's next line is as far under it as the next row. Going on in lower case it
    /// stays in its row; going on with a capital it was read as a row of its own with the first cells empty ("Etter
    /// avtale med leder"). Text wraps only when its next word does not fit, so a wrapped line's first word would not
    /// have fitted after the row's cell above it (before the next column's text, or in the last column within the
    /// widest line it has held), while the words of a row whose first cell is empty would have ("Bodø" after "Bergen",
    /// <see cref="ARowWithAnEmptyFirstCellIsARowOfItsOwn"/>).
    /// </summary>
    [Theory]
    [InlineData("etter avtale med leder")]
    [InlineData("Etter avtale med leder")]
    public void AWrappedCellAsFarUnderItsRowAsTheRowsLieStaysInItsRow(string next)
    {
        string path = TestDocuments.PdfAt(TestPaths.NewTempDir(), "satser.pdf",
        [
            .. Row(770, "Dag", "Tillegg", "Merknad"),
            .. Row(755, "Hverdager", "50 %", "Etter kl. 17, eller"),
            (next, 320, 740),
            .. Row(725, "Lørdag", "100 %", "Hele døgnet"),
        ]);
        Assert.Equal([P("Dag | Tillegg | Merknad"), P($"Hverdager | 50 % | Etter kl. 17, eller {next}"), P("Lørdag | 100 % | Hele døgnet")],
            Rows(path));
    }

    [Fact]
    public void AWrappedMiddleCellGoingOnWithACapitalStaysInItsRow()
    {
        // the middle column ends where the last begins (x 330): "Sentrumsgården" would not have fitted after "Storgata 12,"
        (string, double, double)[] Line(double y, params string[] cells) => [.. cells.Select((c, k) => (c, new[] { 40.0, 200, 330 }[k], y))];
        string path = TestDocuments.PdfAt(TestPaths.NewTempDir(), "kontorer.pdf",
        [
            .. Line(770, "Avdeling", "Kontor", "Ansatte"),
            .. Line(755, "Lønn", "Storgata 12,", "12"),
            ("Sentrumsgården", 200, 740),
            .. Line(725, "Innkjøp", "Førde", "7"),
        ]);
        Assert.Equal([P("Avdeling | Kontor | Ansatte"), P("Lønn | Storgata 12, Sentrumsgården | 12"), P("Innkjøp | Førde | 7")], Rows(path));
    }

    /// <summary>
    /// A real writer's layout: Chromium prints a table whose last row is pushed onto the next page alone (a page break
    /// before it), with a row whose first cell is empty and a cell wrapped over two lines; every row is a row, the wrapped
    /// cell in one piece.
    /// </summary>
    [ChromiumFact]
    public void APdfPrintedByChromiumKeepsALoneRowOverThePageBreakAndARowWithAnEmptyFirstCell()
    {
        string dir = TestPaths.NewTempDir(), html = Path.Combine(dir, "avdelinger.html"), pdf = Path.Combine(dir, "avdelinger.pdf");
        File.WriteAllText(html, """
            <!DOCTYPE html><html><head><meta charset="utf-8"><style>
            @page { size: A4; margin: 20mm; }
            body { font-family: 'DejaVu Sans'; font-size: 11pt; } td, th { padding: 2px 10px; text-align: left; vertical-align: top; }
            td:last-child { width: 9em; }
            </style></head><body>
            <p>Ansatte per avdeling:</p>
            <table><tr><th>Avdeling</th><th>Sted</th><th>Ansatte</th><th>Merknad</th></tr>
            <tr><td>Lønn</td><td>Bergen</td><td>12</td><td>Hele året</td></tr>
            <tr><td></td><td>Bodø</td><td>4</td><td>Fra mars</td></tr>
            <tr><td>Innkjøp</td><td>Førde</td><td>7</td><td>To av dem arbeider fra Sogndal</td></tr>
            <tr><td>Drift</td><td>Tromsø</td><td>9</td><td>Hele året</td></tr>
            <tr style="break-before: page"><td>Arkiv</td><td>Bodø</td><td>5</td><td>Hele året</td></tr></table>
            <p>Tallene gjelder fra første januar.</p>
            </body></html>
            """);
        Chromium.Run("--no-pdf-header-footer", $"--print-to-pdf={pdf}", new Uri(html).AbsoluteUri);
        using (var doc = UglyToad.PdfPig.PdfDocument.Open(pdf)) Assert.Equal(2, doc.NumberOfPages);
        Assert.Equal(["Avdeling | Sted | Ansatte | Merknad", "Lønn | Bergen | 12 | Hele året", "– | Bodø | 4 | Fra mars",
            "Innkjøp | Førde | 7 | To av dem arbeider fra Sogndal", "Drift | Tromsø | 9 | Hele året", "Arkiv | Bodø | 5 | Hele året"], Rows(pdf));
    }

    // A three-column table on page 1 with `note` under it (at x) and a footer; page 2: `rest` rows at the top, a sentence, a footer.
    private static string Document(string note, double x, params string[][] rest)
    {
        var first = new List<(string, double, double)>();
        first.AddRange(Row(750, "Avdeling", "Sted", "Ansatte"));
        first.AddRange(Row(735, "Lønn", "Bergen", "12"));
        first.AddRange(Row(720, "Innkjøp", "Førde", "7"));
        first.Add((note, x, 700));
        first.Add(("Side 1", 40, 40));
        var second = new List<(string, double, double)>();
        for (int k = 0; k < rest.Length; k++) second.AddRange(Row(790 - 15 * k, rest[k]));
        second.Add(("Tallene gjelder fra første januar.", 40, 740));
        second.Add(("Side 2", 40, 40));
        return TestDocuments.PdfAt(TestPaths.NewTempDir(), "avdelinger.pdf", [.. first], [.. second]);
    }

    private static readonly string[] Above = ["Avdeling | Sted | Ansatte", "Lønn | Bergen | 12", "Innkjøp | Førde | 7"];

    /// <summary>
    /// A table with a "continued" note under it ("(fortsetter)", "continued on next page": one line in the table's own
    /// size) ended at the page break, since any line in the table's size under it was taken for text after the table: the
    /// rows at the top of the next page became a table of their own, under no header. It now goes on when the next page
    /// starts with two rows or more that fill all of its columns, and the note comes after its rows, so the chunker reads
    /// one table (<see cref="PdfTableColumns"/>).
    /// </summary>
    [Theory]
    [InlineData("(fortsetter)", 320)]
    [InlineData("Tabellen fortsetter på neste side", 40)]
    public void ATableGoesOnUnderAContinuedNoteWhenTheNextPageStartsWithRowsInAllItsColumns(string note, double x)
    {
        string path = Document(note, x, ["Arkiv", "Bodø", "5"], ["Drift", "Tromsø", "9"]);
        var blocks = PdfReader.Read(path, Ocr.Off, []);
        Assert.Equal([.. Above.Select(P), P("Arkiv | Bodø | 5"), P("Drift | Tromsø | 9")],
            blocks.Where(b => b.Kind == BlockKind.TableRow).Select(b => b.Text));
        // the note and the text after the table follow its last row: the rows are one run
        Assert.Equal([BlockKind.TableRow, BlockKind.TableRow, BlockKind.TableRow, BlockKind.TableRow, BlockKind.TableRow, BlockKind.Paragraph, BlockKind.Paragraph],
            blocks.Select(b => b.Kind));
        Assert.Equal(P(note), blocks[5].Text.Trim());
        // so the chunker reads one table: a chunk of the next page's rows repeats its header
        var chunks = DocumentIngest.Ingest([path], new ChunkOptions { ChunkTokens = 14, OverlapTokens = 0 }).Chunks;
        Assert.Contains(chunks, c => c.RepeatsHeader && c.Text.StartsWith(P("Avdeling | Sted | Ansatte\nArkiv | Bodø | 5"), StringComparison.Ordinal));
    }

    /// <summary>
    /// Under a line in its own size, a table goes on only with rows that are clearly its own: one row is no more than a
    /// line whose words happen to fall into its columns, and rows that leave a column empty may be another table.
    /// </summary>
    [Fact]
    public void ATableUnderALineInItsOwnSizeEndsWhenTheNextPageStartsWithOneRowOrRowsLeavingAColumnEmpty()
    {
        string one = Document("(fortsetter)", 320, ["Arkiv", "Bodø", "5"]);
        Assert.Equal(Above.Select(P), PdfReader.Read(one, Ocr.Off, []).Where(b => b.Kind == BlockKind.TableRow).Select(b => b.Text));
        string gap = Document("(fortsetter)", 320, ["Arkiv", "", "5"], ["Drift", "", "9"]);
        Assert.Equal([.. Above.Select(P), "Arkiv | 5", "Drift | 9"],
            PdfReader.Read(gap, Ocr.Off, []).Where(b => b.Kind == BlockKind.TableRow).Select(b => b.Text));
    }
}
