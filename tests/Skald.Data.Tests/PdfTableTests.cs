using Skald.Data.Ingest;
using Skald.Data.Ingest.Readers;

namespace Skald.Data.Tests;

/// <summary>
/// Tables in a PDF (found from its words' positions, <see cref="PdfTables"/>): their cells came out as loose lines
/// ("Lørdag 100 % Hele døgnet"), now each row is a table row of cells joined by " | ", as a .docx or .html row is;
/// prose set in two columns and a numbered list, whose lines also hold text in columns, stay text.
/// </summary>
public sealed class PdfTableTests
{
    private static readonly double[] Columns = [40, 200, 320];

    // A row's cells at the three columns' left edges, on one baseline.
    private static IEnumerable<(string, double, double)> Row(double y, params string[] cells) => cells.Select((c, k) => (c, Columns[k], y));

    private static string P(string s) => TestDocuments.PdfText(s);

    [Fact]
    public void ANorwegianTablesRowsAreTableRowsWithTheirCellsInReadingOrder()
    {
        string path = TestDocuments.PdfAt(TestPaths.NewTempDir(), "satser.pdf",
        [
            ("Satsene for overtid i 2025 er slik:", 40, 800),
            .. Row(770, "Dag", "Tillegg", "Merknad"),
            .. Row(755, "Hverdager", "50 %", "Etter kl. 17"),
            .. Row(740, "Lørdag", "100 %", "Hele døgnet"),
            .. Row(725, "Søndag og helligdag", "100 %", "Også påske og jul"),
            ("Spør lønnskontoret om du er i tvil om hvilken sats som gjelder.", 40, 695),
        ]);
        var blocks = PdfReader.Read(path, Ocr.Off, []);
        Assert.Equal([BlockKind.Paragraph, BlockKind.TableRow, BlockKind.TableRow, BlockKind.TableRow, BlockKind.TableRow, BlockKind.Paragraph],
            blocks.Select(b => b.Kind));
        Assert.Equal([P("Dag | Tillegg | Merknad"), P("Hverdager | 50 % | Etter kl. 17"), P("Lørdag | 100 % | Hele døgnet"),
            P("Søndag og helligdag | 100 % | Også påske og jul")], blocks.Where(b => b.Kind == BlockKind.TableRow).Select(b => b.Text));
        Assert.Equal(P("Satsene for overtid i 2025 er slik:"), blocks[0].Text.Trim());
    }

    [Fact]
    public void ACellWrappedOverTwoLinesStaysInItsRow()
    {
        string path = TestDocuments.PdfAt(TestPaths.NewTempDir(), "satser.pdf",
        [
            ("Satsene for overtid i 2025 er slik:", 40, 800),
            .. Row(770, "Dag", "Tillegg", "Merknad"),
            .. Row(755, "Hverdager", "50 %", "Etter kl. 17, eller"),
            ("etter avtale med leder", 320, 743),
            .. Row(725, "Lørdag", "100 %", "Hele døgnet"),
            ("Spør lønnskontoret om du er i tvil om hvilken sats som gjelder.", 40, 695),
        ]);
        var blocks = PdfReader.Read(path, Ocr.Off, []);
        Assert.Equal([P("Dag | Tillegg | Merknad"), P("Hverdager | 50 % | Etter kl. 17, eller etter avtale med leder"), P("Lørdag | 100 % | Hele døgnet")],
            blocks.Where(b => b.Kind == BlockKind.TableRow).Select(b => b.Text));
        Assert.Equal(5, blocks.Count);
    }

    [Fact]
    public void ATableDrawnColumnByColumnReadsInRows()
    {
        // some writers draw a table a column at a time: the text extractor's lines are single cells, the rows are found by place
        string[][] rows = [["Bergen", "291 000", "Vestland"], ["Tromsø", "77 000", "Troms"], ["Ålesund", "67 000", "Møre og Romsdal"]];
        var texts = new List<(string, double, double)> { ("Byene i tabellen under:", 40, 800) };
        for (int k = 0; k < 3; k++) texts.AddRange(rows.Select((r, i) => (r[k], Columns[k], 770.0 - 15 * i)));
        texts.Add(("Tallene er fra 2024.", 40, 715));
        var blocks = PdfReader.Read(TestDocuments.PdfAt(TestPaths.NewTempDir(), "byer.pdf", [.. texts]), Ocr.Off, []);
        Assert.Equal(rows.Select(r => P(string.Join(" | ", r))), blocks.Where(b => b.Kind == BlockKind.TableRow).Select(b => b.Text));
        Assert.Equal(5, blocks.Count);
    }

    [Fact]
    public void ATableOverTwoPagesIsOneRunOfRows()
    {
        var first = new List<(string, double, double)> { ("Ansatte per avdeling og sted er vist her:", 40, 800) };
        var second = new List<(string, double, double)>();
        string[][] rows = [.. Enumerable.Range(1, 8).Select(i => new[] { $"Avdeling {i}", $"{10 * i} ansatte", i % 2 == 0 ? "Bodø" : "Førde" })];
        for (int i = 0; i < 5; i++) first.AddRange(Row(770 - 15 * i, rows[i]));
        for (int i = 5; i < 8; i++) second.AddRange(Row(800 - 15 * (i - 5), rows[i]));
        second.Add(("Tallene gjelder fra første januar.", 40, 740));
        var blocks = PdfReader.Read(TestDocuments.PdfAt(TestPaths.NewTempDir(), "avdelinger.pdf", [.. first], [.. second]), Ocr.Off, []);
        Assert.Equal([BlockKind.Paragraph, .. Enumerable.Repeat(BlockKind.TableRow, 8), BlockKind.Paragraph], blocks.Select(b => b.Kind));
        Assert.Equal(rows.Select(r => P(string.Join(" | ", r))), blocks.Skip(1).Take(8).Select(b => b.Text));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ProseInTwoColumnsStaysProse(bool acrossTheColumns)
    {
        // each column's lines are 5 to 7 words, side by side on the same baselines, drawn across the page or a column at a time
        string[] left = ["Høsten er en fin tid for turer", "i fjellet, og luften er klar og", "myggen er borte for i år. Mange", "velger å gå fra hytte til hytte."];
        string[] right = ["Før turen bør du sjekke været og", "ta med varme klær, kart og et", "kompass. En termos med kaffe gjør", "pausene mye bedre på fjellet."];
        var texts = new List<(string, double, double)>();
        if (acrossTheColumns)
            for (int i = 0; i < 4; i++) texts.AddRange([(left[i], 40, 800 - 14 * i), (right[i], 310, 800 - 14 * i)]);
        else
            texts.AddRange([.. left.Select((l, i) => (l, 40.0, 800.0 - 14 * i)), .. right.Select((r, i) => (r, 310.0, 800.0 - 14 * i))]);
        string path = TestDocuments.PdfAt(TestPaths.NewTempDir(), "spalter.pdf", [.. texts]);
        var blocks = PdfReader.Read(path, Ocr.Off, []);
        Assert.DoesNotContain(blocks, b => b.Kind == BlockKind.TableRow);
        using var doc = UglyToad.PdfPig.PdfDocument.Open(path);
        Assert.Empty(PdfTables.Find(doc.GetPage(1)));
    }

    [Fact]
    public void ANumberedListWithItsMarkersSetApartStaysText()
    {
        string[] items = ["Fyll ut skjemaet", "Send det til leder", "Vent på svar"];
        var texts = items.SelectMany((t, i) => new[] { ($"{i + 1}.", 40.0, 800.0 - 14 * i), (t, 62.0, 800.0 - 14 * i) }).ToArray();
        string path = TestDocuments.PdfAt(TestPaths.NewTempDir(), "liste.pdf", texts);
        Assert.DoesNotContain(PdfReader.Read(path, Ocr.Off, []), b => b.Kind == BlockKind.TableRow);
    }

    /// <summary>
    /// A real writer's layout: Chromium prints an HTML page of a table (its last row's last cell wrapped over lines),
    /// justified prose in two CSS columns (its stretched spaces as wide as a cell gap) and a numbered list; only the
    /// table's five rows are rows.
    /// </summary>
    [ChromiumFact]
    public void APdfPrintedByChromiumHasItsTableRowsAndNothingElseAsRows()
    {
        string dir = TestPaths.NewTempDir(), html = Path.Combine(dir, "side.html"), pdf = Path.Combine(dir, "side.pdf");
        File.WriteAllText(html, """
            <!DOCTYPE html><html><head><meta charset="utf-8"><style>
            body { font-family: 'DejaVu Sans'; font-size: 11pt; } td, th { padding: 2px 10px; text-align: left; vertical-align: top; }
            td:last-child { width: 9em; }
            .cols { columns: 2; column-gap: 2em; text-align: justify; }
            </style></head><body>
            <p>Satsene for overtid i 2025 er slik:</p>
            <table><tr><th>Dag</th><th>Tillegg</th><th>Merknad</th></tr>
            <tr><td>Hverdager</td><td>50 %</td><td>Etter kl. 17</td></tr>
            <tr><td>Lørdag</td><td>100 %</td><td>Hele døgnet</td></tr>
            <tr><td>Søndag og helligdag</td><td>100 %</td><td>Også påske og jul</td></tr>
            <tr><td>Natt</td><td>100 %</td><td>Mellom klokken 21 og 06 alle dager i uken</td></tr></table>
            <p>Spør lønnskontoret om du er i tvil om hvilken sats som gjelder.</p>
            <div class="cols"><p>Høsten er en fin tid for turer i fjellet. Luften er klar, og myggen er borte. Mange velger å gå
            fra hytte til hytte, og stiene er merket med røde T-er. Før turen bør du sjekke værmeldingen og si fra til noen hvor
            du går. Ta med varme klær, kart og kompass, og husk at det blir mørkt tidlig i oktober. En termos med kaffe gjør
            pausene bedre, og et sitteunderlag holder deg tørr. Når du kommer frem til hytta, fyller du ut hytteboka og betaler
            for overnattingen. Neste morgen går turen videre over fjellet, der utsikten er vid og stillheten stor.</p></div>
            <ol><li>Fyll ut skjemaet</li><li>Send det til leder</li><li>Vent på svar</li></ol>
            </body></html>
            """);
        Chromium.Run("--no-pdf-header-footer", $"--print-to-pdf={pdf}", new Uri(html).AbsoluteUri);
        var blocks = PdfReader.Read(pdf, Ocr.Off, []);
        Assert.Equal(["Dag | Tillegg | Merknad", "Hverdager | 50 % | Etter kl. 17", "Lørdag | 100 % | Hele døgnet", "Søndag og helligdag | 100 % | Også påske og jul",
            "Natt | 100 % | Mellom klokken 21 og 06 alle dager i uken"],
            blocks.Where(b => b.Kind == BlockKind.TableRow).Select(b => b.Text));
        string text = TextCleaner.CollapseWhitespace(string.Join(" ", blocks.Select(b => b.Text)));
        Assert.Contains("Fyll ut skjemaet", text);
        Assert.Contains("stillheten stor.", text);
    }

    [Fact]
    public void APdfTablesRowsChunkAsRowsUnderTheirLeadIn()
    {
        string path = TestDocuments.PdfAt(TestPaths.NewTempDir(), "satser.pdf",
        [
            ("Satsene er:", 40, 800),
            .. Row(770, "Hverdager", "50 %", "Etter kl. 17"),
            .. Row(755, "Lørdag", "100 %", "Hele døgnet"),
        ]);
        var chunk = Assert.Single(DocumentIngest.Ingest([path], new ChunkOptions { ChunkTokens = 64, OverlapTokens = 0 }).Chunks);
        Assert.Equal(P("Satsene er:\nHverdager | 50 % | Etter kl. 17\nLørdag | 100 % | Hele døgnet"), chunk.Text);
    }
}
