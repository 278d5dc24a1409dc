using Skald.Data.Ingest;
using Skald.Data.Ingest.Readers;

namespace Skald.Data.Tests;

/// <summary>
/// A table of name–value pairs without a header whose first value is empty ("Grunnbeløp" with nothing beside it, over
/// "Minstefradrag | 46 %") was taken to have a header: the empty cell ("–", or the cell left off the row's end) read as a
/// header's word over a column of numbers, so "Grunnbeløp" was repeated above every later chunk's rows as if it named
/// the columns. An empty cell now takes its column's kind (<see cref="TableHeader"/>, one rule for .docx, .html, Markdown
/// and PDF tables).
/// </summary>
public sealed class HeaderlessEmptyValueTests
{
    private static readonly string[][] Rates =
        [["Grunnbeløp", ""], ["Minstefradrag", "46 %"], ["Personfradrag", "108 550 kr"], ["Trygdeavgift", "7,8 %"], ["Trinnskatt", "1,7 %"]];

    // The chunks of a table's blocks (of `tokens`, room for the first row repeated over another): more than one, none
    // repeating the first row, every row once.
    private static void RepeatsNoRow(List<DocumentBlock> blocks, int rows, int tokens = 12)
    {
        var texts = blocks.Where(b => b.Kind == BlockKind.TableRow).Select(b => b.Text).ToHashSet();
        Assert.Equal(rows, texts.Count);
        var chunks = Chunker.Split(DocumentIngest.Build("t", blocks)!, 0, new ChunkOptions { ChunkTokens = tokens, OverlapTokens = 0 });
        Assert.True(chunks.Count > 1, string.Join(" / ", chunks.Select(c => c.Text)));
        Assert.All(chunks, c => Assert.False(c.RepeatsHeader, c.Text));
        Assert.Equal(rows, chunks.Sum(c => c.Text.Split('\n').Count(texts.Contains)));
    }

    [Theory]
    [InlineData(false, "Grunnbeløp", "Minstefradrag | 46 %", "Trygdeavgift | 7,8 %")] // the empty value left off the row's end
    [InlineData(false, "Grunnbeløp | – | 124 028 kr", "Minstefradrag | 46 % | 46 %", "Trygdeavgift | 7,9 % | 7,8 %")] // one inside it
    [InlineData(false, "Grunnbeløp | 124 028 kr", "Minstefradrag | –", "Trygdeavgift | 7,8 %")] // an empty value below is no word
    [InlineData(true, "Vare | Pris", "Ost | –", "Melk | 25 kr", "Brød | 40 kr")] // a header over a column with an empty cell
    [InlineData(true, "– | 2024 | 2025", "Melk | 23 | 25", "Ost | 105 | 110")] // a header's empty corner
    [InlineData(true, "Navn", "Stilling | Rådgiver", "Avdeling | Personal")] // words only: nothing tells it apart
    [InlineData(true, "Ansatte 2025", "Navn | Alder", "Kari | 34")] // a title across a table with a header
    public void AnEmptyCellTakesItsColumnsKind(bool header, params string[] rows) => Assert.Equal(header, TableHeader.FirstIsHeader(rows));

    [Fact]
    public void ADocxTableOfPairsWithAnEmptyFirstValueRepeatsNoRow() =>
        RepeatsNoRow(DocxReader.Read(TestDocuments.DocxOf(TestPaths.NewTempDir(), "satser.docx", (object)Rates)), Rates.Length);

    [Fact]
    public void AnHtmlTableOfPairsWithAnEmptyFirstValueRepeatsNoRow() =>
        RepeatsNoRow(HtmlReader.Parse("<html><body><table>" + string.Concat(Rates.Select(r => $"<tr><td>{r[0]}</td><td>{r[1]}</td></tr>")) + "</table></body></html>"),
            Rates.Length);

    [Fact]
    public void AMarkdownTableOfPairsWithAnEmptyFirstValueRepeatsNoRow() =>
        RepeatsNoRow(MarkdownReader.Parse($"| {Rates[0][0]} | |\n|---|---|\n" + string.Concat(Rates.Skip(1).Select(r => $"| {r[0]} | {r[1]} |\n"))), Rates.Length);

    [Fact]
    public void APdfTableWithAnEmptyFirstValueRepeatsNoRow()
    {
        // three columns (name, 2024, 2025); the first row's 2024 value empty: a PDF row has two cells at least
        string[][] rows = [["Grunnbeløp", "", "124 028 kr"], ["Minstefradrag", "46 %", "46 %"], ["Personfradrag", "88 250 kr", "108 550 kr"], ["Trygdeavgift", "7,9 %", "7,8 %"]];
        double[] x = [40, 200, 320];
        string path = TestDocuments.PdfAt(TestPaths.NewTempDir(), "satser.pdf",
            [.. rows.SelectMany((r, k) => r.Select((c, i) => (c, x[i], 770.0 - 15 * k)).Where(c => c.c.Length > 0)), ("Satsene gjelder for 2025.", 40, 690)]);
        var blocks = PdfReader.Read(path, Ocr.Off, []);
        Assert.Equal(TestDocuments.PdfText("Grunnbeløp | – | 124 028 kr"), blocks.First(b => b.Kind == BlockKind.TableRow).Text);
        RepeatsNoRow(blocks, rows.Length, 20);
    }
}
