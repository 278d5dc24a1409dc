using Skald.Data.Ingest;

namespace Skald.Data.Tests;

public sealed class IngestTests
{
    [Fact]
    public void CleanerComposesNfcJoinsLineEndHyphensAndCollapsesWhitespace()
    {
        Assert.Equal("Blåbær", TextCleaner.Clean("Bla\u030Abær"));
        Assert.Equal("Kunnskap er makt.", TextCleaner.Clean("Kunn-\nskap  er\tmakt."));
        Assert.Equal("nord- og sørside", TextCleaner.Clean("nord-\nog sørside"));
        Assert.Equal("Oslo-\nBergen".Replace("\n", " "), TextCleaner.Clean("Oslo-\nBergen"));
        Assert.Equal("a b", TextCleaner.Clean(" a\u00AD \u200B\n b "));
    }

    [Fact]
    public void AnOldMacTextFilesLoneCarriageReturnsEndLinesAndParagraphs()
    {
        // was one paragraph, its lines glued: "FeriereglerAlle ansatte har fem uker ferie.Ferien søkes ..."
        string path = Path.Combine(TestPaths.NewTempDir(), "mac.txt");
        File.WriteAllText(path, "Ferieregler\r\rAlle ansatte har fem uker ferie.\rFerien søkes tre måneder før.\r");
        var result = DocumentIngest.Ingest([path], new ChunkOptions());
        Assert.Equal(2, result.Documents[0].Blocks.Count);
        Assert.Equal("Ferieregler", result.Chunks[0].Heading); // a line alone between blank lines (TextHeadingTests)
        Assert.Equal("Alle ansatte har fem uker ferie. Ferien søkes tre måneder før.", result.Chunks[0].Text);
        Assert.Equal("a b", TextCleaner.Clean("a\rb"));
    }

    [Fact]
    public void CleanerWritesAPdfsTypographicLigaturesAsTheirLetters()
    {
        // chromium's PDF header gave "\uFB01le:///"; a text layer from a typeset PDF does the same in body text
        Assert.Equal("Vi finner offentlige flyruter, offisielt og stille.", TextCleaner.Clean("Vi \uFB01nner o\uFB00entlige \uFB02yruter, o\uFB03sielt og \uFB06ille."));
    }

    [Fact]
    public void SentencesSplitAtEndsButNotAfterAbbreviationsOrInitials()
    {
        string text = "Vi tok f.eks. toget til Bergen. Det regnet! H. Ibsen skrev mye, bl.a. Peer Gynt. Er det sant? 17. mai er fint.";
        var s = SentenceSplitter.Split(text).Select(x => text[x.Start..x.End]).ToArray();
        Assert.Equal(["Vi tok f.eks. toget til Bergen.", "Det regnet!", "H. Ibsen skrev mye, bl.a. Peer Gynt.", "Er det sant?", "17. mai er fint."], s);
    }

    [Fact]
    public void ChunksRespectTheBudgetOverlapAndWordBoundariesAndMapToOffsets()
    {
        var words = Enumerable.Range(0, 40).Select(i => $"Setning nummer {i} handler om ord.").ToArray();
        var doc = DocumentIngest.Build("x.txt", [new DocumentBlock(BlockKind.Heading, "Tittel"), new DocumentBlock(BlockKind.Paragraph, string.Join(" ", words)),
            new DocumentBlock(BlockKind.Paragraph, string.Join(" ", Enumerable.Repeat("langord", 50)))])!;
        var chunks = Chunker.Split(doc, 0, new ChunkOptions { ChunkTokens = 20, OverlapTokens = 6 });
        Assert.All(chunks, c => Assert.True(c.Tokens <= 20, $"{c.Id} has {c.Tokens}"));
        Assert.All(chunks, c => Assert.Equal("Tittel", c.Heading));
        foreach (var c in chunks)
        {
            for (int i = 0; i < c.Sentences.Count; i++) Assert.Equal(doc.Text[c.Sentences[i].Start..c.Sentences[i].End], c.SentenceTexts[i]);
            Assert.True(c.Start == 0 || !char.IsLetter(doc.Text[c.Start - 1]), "a chunk starts inside a word");
            Assert.True(c.End == doc.Text.Length || !char.IsLetter(doc.Text[c.End]), "a chunk ends inside a word");
        }
        // Sentences of 6 words: 3 per chunk, the last one repeated as overlap.
        Assert.Equal(words[2], chunks[0].SentenceTexts[^1]);
        Assert.Equal(words[2], chunks[1].SentenceTexts[0]);
        // The 50-word run without a full stop is cut into 20-word pieces.
        Assert.Contains(chunks, c => c.Text == string.Join(" ", Enumerable.Repeat("langord", 20)));
        Assert.Equal(40 * 6 + 50, chunks.Sum(c => c.Tokens) - Overlapped(chunks));
    }

    private static int Overlapped(List<Chunk> chunks) =>
        chunks.Zip(chunks.Skip(1)).Sum(p => p.First.Sentences.Intersect(p.Second.Sentences).Sum(s => TokenCounter.CountWords(p.First.SentenceTexts[p.First.Sentences.ToList().IndexOf(s)])));

    [Theory]
    [InlineData("docx")]
    [InlineData("pdf")]
    [InlineData("html")]
    [InlineData("md")]
    [InlineData("txt")]
    public void EveryFormatYieldsItsParagraphs(string format)
    {
        string dir = TestPaths.NewTempDir();
        string path = format switch
        {
            "docx" => TestDocuments.Docx(dir),
            "pdf" => TestDocuments.Pdf(dir),
            "html" => TestDocuments.Html(dir),
            "md" => TestDocuments.Markdown(dir),
            _ => TestDocuments.Text(dir),
        };
        var result = DocumentIngest.Ingest([path], new ChunkOptions());
        Assert.Empty(result.Skipped);
        var doc = Assert.Single(result.Documents);
        foreach (var p in TestDocuments.Paragraphs) Assert.Contains(format == "pdf" ? TestDocuments.PdfText(p) : p, doc.Text);
        Assert.DoesNotContain("ikke tekst", doc.Text);
        Assert.DoesNotContain("Hjem", doc.Text);
        if (format is "docx" or "html" or "md")
        {
            Assert.Equal(BlockKind.Heading, doc.Blocks[0].Kind);
            Assert.Equal(TestDocuments.Heading, doc.Text[doc.Blocks[0].Start..doc.Blocks[0].End]);
            Assert.All(result.Chunks, c => Assert.Equal(TestDocuments.Heading, c.Heading));
        }
        Assert.All(result.Chunks, c => Assert.Equal(path, c.Source));
    }

    [Fact]
    public void DocxTableRowsAreOneBlockEachInDocumentOrder()
    {
        string dir = TestPaths.NewTempDir();
        string path = Path.Combine(dir, "byer.docx");
        using (var doc = DocumentFormat.OpenXml.Packaging.WordprocessingDocument.Create(path, DocumentFormat.OpenXml.WordprocessingDocumentType.Document))
        {
            var main = doc.AddMainDocumentPart();
            main.Document = new DocumentFormat.OpenXml.Wordprocessing.Document(new DocumentFormat.OpenXml.Wordprocessing.Body());
            var body = main.Document.Body!;
            static DocumentFormat.OpenXml.Wordprocessing.Paragraph P(string text) =>
                new(new DocumentFormat.OpenXml.Wordprocessing.Run(new DocumentFormat.OpenXml.Wordprocessing.Text(text)));
            static DocumentFormat.OpenXml.Wordprocessing.TableRow Row(params string[][] cells) => new(cells.Select(c =>
                new DocumentFormat.OpenXml.Wordprocessing.TableCell(c.Select(P))));
            body.AppendChild(P("Byene langs kysten er store."));
            body.AppendChild(new DocumentFormat.OpenXml.Wordprocessing.Table(
                Row(["By"], ["Innbyggere"], ["Landsdel"]),
                Row(["Bergen"], ["291 000"], ["Vestlandet", "(Hordaland)"]),
                Row([""], [""], [""]), // an empty row: nothing
                Row(["Tromsø"], [""], ["Nord-Norge"])));
            // A content control around a paragraph is read through.
            body.AppendChild(new DocumentFormat.OpenXml.Wordprocessing.SdtBlock(
                new DocumentFormat.OpenXml.Wordprocessing.SdtContentBlock(P("Tabellen viser tre byer."))));
            main.Document.Save();
        }
        var blocks = Skald.Data.Ingest.Readers.DocxReader.Read(path);
        Assert.Equal(["Byene langs kysten er store.", "By | Innbyggere | Landsdel", "Bergen | 291 000 | Vestlandet (Hordaland)",
            "Tromsø | – | Nord-Norge", "Tabellen viser tre byer."], blocks.Select(b => b.Text));
        Assert.Equal([BlockKind.Paragraph, BlockKind.TableRow, BlockKind.TableRow, BlockKind.TableRow, BlockKind.Paragraph], blocks.Select(b => b.Kind));
    }

    [Fact]
    public void HtmlTableRowsAreOneBlockEach()
    {
        var blocks = Skald.Data.Ingest.Readers.HtmlReader.Parse(
            "<html><body><h1>Byer</h1><table><thead><tr><th>By</th><th>Innbyggere</th></tr></thead>" +
            "<tbody><tr><td>Bergen</td><td> 291 000 </td></tr><tr><td></td><td></td></tr>" +
            "<tr><td>Tromsø</td><td><table><tr><td>77 000</td><td>2024</td></tr></table></td></tr></tbody></table><p>Etter tabellen.</p></body></html>");
        Assert.Equal(["Byer", "By | Innbyggere", "Bergen | 291 000", "Tromsø", "77 000 | 2024", "Etter tabellen."], blocks.Select(b => b.Text.Trim()));
    }

    [Fact]
    public void MarkdownTableRowsAreOneBlockEach()
    {
        var blocks = Skald.Data.Ingest.Readers.MarkdownReader.Parse(
            "# Byer\n\nFør tabellen.\n| By | Innbyggere |\n|---|---:|\n| **Bergen** | 291 000 |\n| Tromsø | |\n\n" +
            "Navn | Fylke\n--- | ---\nAlta | Finnmark\n\nEtter tabellen, med a | b i teksten.\n"); // a blank line ends a table (GFM)
        Assert.Equal(["Byer", "Før tabellen.", "By | Innbyggere", "Bergen | 291 000", "Tromsø", "Navn | Fylke", "Alta | Finnmark",
            "Etter tabellen, med a   b i teksten."], blocks.Select(b => b.Text.Trim()));
    }

    [Fact]
    public void PdfLinesHyphenatedAtTheEndAreJoined()
    {
        string dir = TestPaths.NewTempDir();
        string path = TestDocuments.Pdf(dir, "h.pdf", "Dette er en lang set-", "ning om fjellet.");
        var doc = Assert.Single(DocumentIngest.Ingest([path], new ChunkOptions()).Documents);
        Assert.Equal("Dette er en lang setning om fjellet.", doc.Text);
    }

    [Fact]
    public void APdfTitleLineIsNotGluedToTheSentenceUnderIt()
    {
        // The extractor puts no blank line where the page leaves space: "Rutiner for besøk Besøkende skal ..." was one
        // sentence. A wrapped sentence (a long line, then a lower-case word) still reads as one.
        string dir = TestPaths.NewTempDir();
        string path = TestDocuments.Pdf(dir, "besok.pdf", "Rutiner for besøk", "",
            "Besøkende skal registreres i resepsjonen ved ankomst. De får et gjestekort som skal bæres synlig.",
            "Gjester må alltid følges av en ansatt i kontorlokalene, og kortet leveres tilbake",
            "når besøket er over.", "Parkering", "Bilen står bak bygget.");
        var sentences = DocumentIngest.Ingest([path], new ChunkOptions()).Chunks.SelectMany(c => c.SentenceTexts).ToList();
        string[] expected =
        [
            "Rutiner for besøk", "Besøkende skal registreres i resepsjonen ved ankomst.", "De får et gjestekort som skal bæres synlig.",
            "Gjester må alltid følges av en ansatt i kontorlokalene, og kortet leveres tilbake når besøket er over.",
            "Parkering", "Bilen står bak bygget.",
        ];
        Assert.Equal(expected.Select(TestDocuments.PdfText), sentences); // spelt as the PDF holds them
    }

    [Fact]
    public void OneLongLineDoesNotMakeThePageBodyLookLikeHeadings()
    {
        // a wrapped sentence whose next line starts with a name stays whole beside a table row twice the body's width
        string body = "Vi har en avtale om mobilabonnement og fasttelefon for alle ansatte med";
        string text = string.Join("\n", [
            "Avtaler", "Leverandør | Tjeneste | Pris per måned | Avtalenummer | Kontaktperson | Telefon | E-post | Merknad | Startdato | Utløper | Oppsigelsestid",
            body, "Telenor, og den gjelder ut neste år.", "Den fornyes automatisk hvert år.", "Spørsmål om avtalen går til innkjøp.",
            "Faktura kommer hver måned på e-post.", "Oppsigelse skjer skriftlig til leverandøren.", "Kontaktpersonen finnes på intranettet.",
            "Nye ansatte får abonnement første dag.", "Gamle telefoner leveres tilbake til IT."]);
        string separated = Skald.Data.Ingest.Readers.PdfReader.SeparateHeadingLines(text);
        Assert.StartsWith("Avtaler\n\n", separated); // the title still stands alone
        Assert.Contains(body + "\nTelenor, og", separated);
    }

    [Fact]
    public void JsonlRowsAreDocumentsWithTheirLine()
    {
        string dir = TestPaths.NewTempDir();
        string path = Path.Combine(dir, "rader.jsonl");
        File.WriteAllText(path, "{\"title\":\"En\",\"body\":\"Første rad her.\"}\n\n{\"body\":\"Andre rad her.\"}\n");
        var result = DocumentIngest.Ingest([path], new ChunkOptions(), textColumn: "body");
        Assert.Equal([path + ":1", path + ":3"], result.Documents.Select(d => d.Source));
        Assert.Equal("En", result.Chunks[0].Heading);
        var e = Assert.Throws<DataException>(() => DocumentIngest.Ingest([path], new ChunkOptions()));
        Assert.Equal($"{path}:1: no string column \"text\" (choose one with --text-column)", e.Message);
    }

    /// <summary>
    /// A lone surrogate escape (valid JSON, no text) in a .jsonl row's text, title or other column is one line naming the
    /// file, line and column, as the training readers say it; it was an InvalidOperationException, an internal error.
    /// </summary>
    [Theory]
    [InlineData("{\"text\":\"Første rad her.\"}\n{\"text\":\"Andre \\ud800 rad.\"}\n", "text")]
    [InlineData("{\"text\":\"Første rad her.\"}\n{\"title\":\"\\udc00\",\"text\":\"Andre rad.\"}\n", "title")]
    public void ALoneSurrogateInAJsonlRowIsOneLine(string content, string column)
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "rader.jsonl");
        File.WriteAllText(path, content);
        var e = Assert.Throws<DataException>(() => DocumentIngest.Ingest([path], new ChunkOptions()));
        Assert.Equal($"{path}:2: {Skald.Retrieval.Data.DataFiles.LoneSurrogate(column)}", e.Message);
        File.WriteAllText(path, "{\"text\":\"Rad.\",\"kilde\":\"\\ud800\"}\n");
        e = Assert.Throws<DataException>(() => Skald.Data.Ingest.Readers.JsonlReader.Fields(path, "text"));
        Assert.Equal($"{path}:1: {Skald.Retrieval.Data.DataFiles.LoneSurrogate("kilde")}", e.Message);
    }

    [Fact]
    public void UnreadableAndEmptyFilesAreListedAndSkipped()
    {
        string dir = TestPaths.NewTempDir();
        TestDocuments.Text(dir);
        File.WriteAllText(Path.Combine(dir, "tom.txt"), "  \n\n ");
        File.WriteAllBytes(Path.Combine(dir, "ødelagt.pdf"), "%PDF-1.4 dette er ikke en pdf"u8.ToArray());
        File.WriteAllBytes(Path.Combine(dir, "ødelagt.docx"), [1, 2, 3]);
        File.WriteAllBytes(Path.Combine(dir, "latin1.txt"), [0x6F, 0x6B, 0x0A, 0x62, 0xE6, 0x72]); // "ok\nbær" in Latin-1
        File.WriteAllText(Path.Combine(dir, "bilde.gif"), "x");
        File.WriteAllText(Path.Combine(dir, "ødelagt.png"), "x");
        var result = DocumentIngest.Ingest([dir], new ChunkOptions());
        Assert.Single(result.Documents);
        var skipped = result.Skipped.ToDictionary(s => Path.GetFileName(s.Path), s => s.Reason);
        Assert.Equal(["bilde.gif", "latin1.txt", "tom.txt", "ødelagt.docx", "ødelagt.pdf", "ødelagt.png"], skipped.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("unsupported file type '.gif'", skipped["bilde.gif"]);
        Assert.Contains("image", skipped["ødelagt.png"]); // tesseract could not read it, or OCR is not installed
        Assert.Equal("no text", skipped["tom.txt"]);
        Assert.Equal("line 2: not valid UTF-8 (byte 0xE6 at offset 4); save the file as UTF-8", skipped["latin1.txt"]);
        // in words, not the parser's exception type (was "unreadable (PdfDocumentFormatException: ...)")
        Assert.Equal("not a readable PDF (could not find any xref tables or streams in this document and could not resolve brute force positions)",
            skipped["ødelagt.pdf"]);
        Assert.Equal("not a readable Word file (file contains corrupted data)", skipped["ødelagt.docx"]);
    }

    [Fact]
    public void NoDocumentsIsOneError()
    {
        string dir = TestPaths.NewTempDir();
        var e = Assert.Throws<DataException>(() => DocumentIngest.Ingest([dir], new ChunkOptions()));
        Assert.StartsWith($"no documents found in {dir}", e.Message);
        Assert.Throws<DataException>(() => DocumentIngest.Ingest([Path.Combine(dir, "mangler")], new ChunkOptions()));
    }
}
