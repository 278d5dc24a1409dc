using Skald.Data.Ingest;
using Skald.Data.Ingest.Readers;

namespace Skald.Data.Tests;

/// <summary>
/// A table without a header row, such as a list of name–value pairs ("Grunnbeløp | 124 028 kr"), had its first pair
/// repeated above the later rows of every chunk, as if it named the columns: each chunk of tax rates said
/// "Grunnbeløp | 124 028 kr" first. A first row with the shape of the rows under it (numbers where they have numbers,
/// words where they have words), or a label ending in a colon as theirs do, is now a data row and nothing is repeated;
/// a header of words over numbers, or of years over other numbers, still is (<see cref="TableHeader"/>).
/// </summary>
public sealed class HeaderlessTableChunkTests
{
    private static readonly string[][] Rates = [["Grunnbeløp", "124 028 kr"], ["Minstefradrag", "46 %"], ["Personfradrag", "108 550 kr"], ["Trygdeavgift", "7,8 %"]];

    // rows of 5, 4, 5 and 4 words: two rows a chunk of 12 (a repeated first row of 5 would leave room for one)
    private static readonly ChunkOptions Twelve = new() { ChunkTokens = 12, OverlapTokens = 0 };

    private static List<Chunk> Chunks(List<DocumentBlock> blocks) => Chunker.Split(DocumentIngest.Build("t", blocks)!, 0, Twelve);

    private static List<DocumentBlock> Rows(IEnumerable<string[]> rows) => [.. rows.Select(r => new DocumentBlock(BlockKind.TableRow, string.Join(" | ", r)))];

    [Fact]
    public void ANameValueListRepeatsNoRow()
    {
        var chunks = Chunks(Rows(Rates));
        Assert.Equal(["Grunnbeløp | 124 028 kr\nMinstefradrag | 46 %", "Personfradrag | 108 550 kr\nTrygdeavgift | 7,8 %"], chunks.Select(c => c.Text));
        Assert.All(chunks, c => Assert.False(c.RepeatsHeader));
    }

    [Fact]
    public void AnHtmlTableOfPairsRepeatsNoRow()
    {
        var chunks = Chunks(HtmlReader.Parse("<html><body><table>" + string.Concat(Rates.Select(r => $"<tr><td>{r[0]}</td><td>{r[1]}</td></tr>")) + "</table></body></html>"));
        Assert.Equal(["Grunnbeløp | 124 028 kr\nMinstefradrag | 46 %", "Personfradrag | 108 550 kr\nTrygdeavgift | 7,8 %"], chunks.Select(c => c.Text));
    }

    [Fact]
    public void LabelsEndingInAColonAreDataRows()
    {
        string[][] card = [["Navn:", "Kari Nordmann"], ["Stilling:", "Rådgiver"], ["Avdeling:", "Personal"], ["E-post:", "kari@firma.no"]];
        var chunks = Chunks(Rows(card));
        Assert.True(chunks.Count > 1, string.Join(" / ", chunks.Select(c => c.Text)));
        Assert.All(chunks, c => Assert.False(c.RepeatsHeader));
        Assert.Equal(card.Length, chunks.Sum(c => c.Text.Split('\n').Length));
    }

    [Fact]
    public void AHeaderOfWordsOrYearsOverNumbersIsStillRepeated()
    {
        var chunks = Chunks(Rows([["Vare", "2024", "2025"], ["Melk", "23 kr", "25 kr"], ["Brød", "38 kr", "40 kr"], ["Ost", "105 kr", "110 kr"]]));
        // header 5 words and rows of 6: one row a chunk under the header
        Assert.Equal([false, true, true], chunks.Select(c => c.RepeatsHeader));
        Assert.All(chunks, c => Assert.StartsWith("Vare | 2024 | 2025\n", c.Text, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true, "Vare | Pris", "Melk | 25 kr", "Ost | 110 kr")] // words over numbers
    [InlineData(true, "Vare | 2024 | 2025", "Melk | 23 | 25", "Ost | 105 | 110")] // years over other numbers
    [InlineData(true, "Navn | Rolle", "Kari | Leder", "Ola | Rådgiver")] // all words: nothing tells it apart
    [InlineData(true, "Kvartal | Q1 | Q2", "Salg | 100 | 120", "Kostnad | 80 | 90")] // "Q1" is a word, not a number
    [InlineData(false, "Grunnbeløp | 124 028 kr", "Minstefradrag | 46 %", "Trygdeavgift | 7,8 %")]
    [InlineData(false, "2023 | 3,1 %", "2024 | 3,5 %", "2025 | 3,3 %")] // years over years
    [InlineData(false, "Navn: | Kari", "Stilling: | Rådgiver", "Avdeling: | Personal")]
    [InlineData(false, "Oslo | 709 000", "Bergen | 291 000", "Trondheim | 214 000")]
    public void TheFirstRowIsAHeaderUnlessItReadsAsData(bool header, params string[] rows) =>
        Assert.Equal(header, TableHeader.FirstIsHeader(rows));

    [Theory]
    [InlineData("110 kr", true)]
    [InlineData("3,5 %", true)]
    [InlineData("124 028 kr", true)]
    [InlineData("12.03.2025", true)]
    [InlineData("kr 1 200", true)]
    [InlineData("-4", true)]
    [InlineData("Q1", false)]
    [InlineData("Pris", false)]
    [InlineData("1. januar og 2. februar", false)]
    public void ACellIsANumberWithItsUnit(string cell, bool number) => Assert.Equal(number, TableHeader.IsNumber(cell));
}
