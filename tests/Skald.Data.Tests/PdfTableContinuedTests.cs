using Skald.Data.Ingest;
using Skald.Data.Ingest.Readers;

namespace Skald.Data.Tests;

/// <summary>
/// A PDF table with a "continued" note under it ("(fortsetter)", "continued on next page": one line in the table's own
/// size) ended at the page break, since any line in the table's size under it was taken for text after the table: the
/// rows at the top of the next page became a table of their own, under no header. Such a table now goes on when the next
/// page starts with two rows or more that fill all of its columns, and the note comes after its rows, so the chunker
/// reads one table (<see cref="PdfTables"/>, <see cref="PdfTableColumns"/>).
/// </summary>
public sealed class PdfTableContinuedTests
{
    private static readonly double[] Columns = [40, 200, 320];

    private static IEnumerable<(string, double, double)> Row(double y, params string[] cells) =>
        cells.Select((c, k) => (c, Columns[k], y)).Where(c => c.c.Length > 0);

    private static string P(string s) => TestDocuments.PdfText(s);

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
