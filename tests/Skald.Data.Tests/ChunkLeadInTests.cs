using Skald.Data.Ingest;

namespace Skald.Data.Tests;

/// <summary>
/// A heading that a PDF, a .docx without heading styles or a .txt gives as a plain paragraph ("Overtid") leads into the
/// text after it: found by a new user whose search hits ended in "... virkedag før. Overtid" while the next hit started
/// "Overtid Overtid godtgjøres".
/// </summary>
public sealed class ChunkLeadInTests
{
    private static Chunk[] Chunks(params string[] paragraphs)
    {
        var doc = DocumentIngest.Build("lonn.pdf", [.. paragraphs.Select(p => new DocumentBlock(BlockKind.Paragraph, p))])!;
        return [.. Chunker.Split(doc, 0, new ChunkOptions { ChunkTokens = 12, OverlapTokens = 4 })];
    }

    [Fact]
    public void AHeadingParagraphStartsTheNextChunkAndIsNeverItsOverlap()
    {
        // 4 + 3 words, then the one-word heading would still fit in the first chunk (8 of 12)
        var chunks = Chunks("Lønn utbetales hver måned. Lønnen kommer tidlig.", "Overtid", "Overtid gir femti prosent tillegg.");
        Assert.Equal(["Lønn utbetales hver måned. Lønnen kommer tidlig.", "Overtid Overtid gir femti prosent tillegg."],
            chunks.Select(c => c.Text));
    }

    [Fact]
    public void ALineEndingInAColonLeadsIntoWhatFollows()
    {
        var chunks = Chunks("Lønn utbetales hver måned. Lønnen kommer tidlig.", "Dette må du gjøre:", "Send timelisten innen fredag.");
        Assert.Equal("Dette må du gjøre: Send timelisten innen fredag.", chunks[^1].Text);
        Assert.Equal("Lønn utbetales hver måned. Lønnen kommer tidlig.", chunks[0].Text);
    }

    [Fact]
    public void AHeadingLineAfterASentenceOfTheSameParagraphStillStartsTheNextChunk()
    {
        // a PDF's heading line is separated from the text below it but not from the sentence above it
        var chunks = Chunks("Lønn utbetales hver måned. Lønnen kommer tidlig.\nOvertid", "Overtid gir femti prosent tillegg.");
        Assert.Equal(["Lønn utbetales hver måned. Lønnen kommer tidlig.", "Overtid Overtid gir femti prosent tillegg."],
            chunks.Select(c => c.Text));
    }

    [Fact]
    public void AHeadingBeforeASentenceLongerThanAChunkLeadsItsFirstPiece()
    {
        // 19 words against a budget of 12: the sentence is cut between words, and its first piece leaves room for the
        // heading (1 + 11), so the heading never is a chunk of its own
        var chunks = Chunks("Lønn utbetales hver måned. Lønnen kommer tidlig.", "Overtid",
            "Overtid godtgjøres med femti prosent tillegg for arbeid utover avtalt arbeidstid og hundre prosent tillegg på søndager og helligdager.");
        Assert.Equal(["Lønn utbetales hver måned. Lønnen kommer tidlig.",
            "Overtid Overtid godtgjøres med femti prosent tillegg for arbeid utover avtalt arbeidstid",
            "og hundre prosent tillegg på søndager og helligdager."], chunks.Select(c => c.Text));
        Assert.Equal([7, 12, 8], chunks.Select(c => c.Tokens));
    }

    [Fact]
    public void AHeadingBeforeASentenceThatFitsAChunkOnlyAloneLeadsItsFirstPiece()
    {
        // 12 words fill a chunk of 12 alone but not after the heading: the heading stood in a chunk of its own ("Overtid"),
        // now the sentence is cut as a longer one is and its last word starts the next chunk with what follows
        var chunks = Chunks("Lønn utbetales hver måned. Lønnen kommer tidlig.", "Overtid",
            "Overtid godtgjøres med femti prosent tillegg for arbeid utover den avtalte arbeidstiden. Søndager gir hundre prosent.");
        Assert.Equal(["Lønn utbetales hver måned. Lønnen kommer tidlig.",
            "Overtid Overtid godtgjøres med femti prosent tillegg for arbeid utover den avtalte",
            "arbeidstiden. Søndager gir hundre prosent."], chunks.Select(c => c.Text));
        Assert.Equal([7, 12, 5], chunks.Select(c => c.Tokens));
    }

    [Fact]
    public void TwoLeadInsBeforeASentenceLongerThanAChunkBothLeadItsFirstPiece()
    {
        var chunks = Chunks("Overtid", "Dette gjelder:",
            "Overtid godtgjøres med femti prosent tillegg for arbeid utover avtalt arbeidstid og hundre prosent tillegg på søndager og helligdager.");
        Assert.Equal(["Overtid Dette gjelder: Overtid godtgjøres med femti prosent tillegg for arbeid utover",
            "avtalt arbeidstid og hundre prosent tillegg på søndager og helligdager."], chunks.Select(c => c.Text));
    }

    [Fact]
    public void AListOfShortItemsLongerThanAChunkIsStillPacked()
    {
        string[] items = [.. Enumerable.Range(0, 20).Select(i => $"Punkt nummer {i}")];
        var chunks = Chunks([.. items, "Slutt på listen her."]);
        Assert.All(chunks, c => Assert.True(c.Tokens <= 12, $"{c.Id} has {c.Tokens}"));
        Assert.True(chunks.Length <= 6, $"{chunks.Length} chunks: lists must not fall apart into one item each");
        Assert.Equal(items.Length + 1, chunks.SelectMany(c => c.SentenceTexts).Distinct().Count());
    }

    [Fact]
    public void SentencesAndTableRowsAreNotLeadIns()
    {
        Assert.True(Chunker.IsLeadIn("Overtid"));
        Assert.True(Chunker.IsLeadIn("Dette må du gjøre:"));
        Assert.False(Chunker.IsLeadIn("Lønn utbetales hver måned."));
        Assert.False(Chunker.IsLeadIn("Navn | Telefon"));
        Assert.False(Chunker.IsLeadIn(string.Join(" ", Enumerable.Repeat("ord", Chunker.LeadInWords + 1))));
    }

    [Fact]
    public void AHeadingLineAboveItsTextInATxtFileIsAParagraphOfItsOwn()
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "ferie.txt");
        File.WriteAllText(path, "Ferieregler for ansatte\n\nAlle ansatte har rett på fem uker ferie i året, og ferien søkes tre måneder før.\n"
            + "Sykdom i ferien\nDersom du blir syk i ferien, kan du kreve å få feriedagene tilbake senere samme år.\n");
        var result = DocumentIngest.Ingest([path], new ChunkOptions { ChunkTokens = 20, OverlapTokens = 4 });
        // the first line, alone between blank lines, is the chunks' heading (TextHeadingTests); the second, right above
        // its text, is a paragraph of its own that leads the next chunk
        Assert.Equal(["Alle ansatte har rett på fem uker ferie i året, og ferien søkes tre måneder før.",
            "Sykdom i ferien Dersom du blir syk i ferien, kan du kreve å få feriedagene tilbake senere samme år."],
            result.Chunks.Select(c => c.Text));
        Assert.Equal(["Ferieregler for ansatte", "Ferieregler for ansatte"], result.Chunks.Select(c => c.Heading));
        Assert.Equal(["Sykdom i ferien", "Dersom du blir syk i ferien, kan du kreve å få feriedagene tilbake senere samme år."],
            result.Chunks[1].SentenceTexts);
    }
}
