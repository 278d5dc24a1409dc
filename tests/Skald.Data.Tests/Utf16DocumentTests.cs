using System.Text;
using Skald.Data.Ingest;
using Skald.Data.Ingest.Readers;
using Skald.Training.Data;

namespace Skald.Data.Tests;

/// <summary>
/// A document or data file saved by Windows' Notepad as "Unicode" (UTF-16 little-endian with its byte order mark) or by
/// Excel as "Unicode text" was refused as "not valid UTF-8 (byte 0xFF at offset 0)", which told the user nothing of what
/// the file was. UTF-16 with its mark, either byte order, is now read as the same text saved as UTF-8 is (.txt, .md, and
/// a .csv data file); UTF-16 without its mark, whose bytes UTF-8 would read as letters with NULs between them, is one
/// line saying what the file is; a UTF-8 BOM is skipped as before.
/// </summary>
public sealed class Utf16DocumentTests
{
    private const string Handbook = "Ferie\r\n\r\nDu har rett til fem uker ferie hvert år. Søknaden sendes til lederen din.\r\n\r\n" +
        "Sykdom\r\n\r\nMeld fra før klokka ni første fraværsdag.\r\n";

    private static string Write(string name, Encoding encoding, bool mark, string text)
    {
        string path = Path.Combine(TestPaths.NewTempDir(), name);
        File.WriteAllBytes(path, [.. mark ? encoding.GetPreamble() : [], .. encoding.GetBytes(text)]);
        return path;
    }

    private static readonly Encoding Utf8 = new UTF8Encoding(false);

    public static TheoryData<string> Encodings => ["utf-16le", "utf-16be", "utf-8-bom"];

    private static Encoding Of(string name) => name switch
    {
        "utf-16le" => new UnicodeEncoding(bigEndian: false, byteOrderMark: true),
        "utf-16be" => new UnicodeEncoding(bigEndian: true, byteOrderMark: true),
        _ => new UTF8Encoding(true),
    };

    [Theory]
    [MemberData(nameof(Encodings))]
    public void ATxtWithItsByteOrderMarkReadsAsTheSameTextInUtf8(string encoding)
    {
        var expected = DocumentIngest.Ingest([Write("håndbok.txt", Utf8, false, Handbook)], new ChunkOptions());
        var read = DocumentIngest.Ingest([Write("håndbok.txt", Of(encoding), true, Handbook)], new ChunkOptions());
        Assert.Empty(read.Skipped);
        Assert.Equal(expected.Documents.Single().Text, read.Documents.Single().Text);
        Assert.Equal(expected.Documents.Single().Blocks, read.Documents.Single().Blocks);
        Assert.StartsWith("Du har rett til fem uker ferie hvert år.", read.Chunks[0].Text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void AMarkdownFileWithItsByteOrderMarkReadsAsTheSameTextInUtf8(string encoding)
    {
        const string text = "# Ferie\n\nDu har rett til **fem uker** ferie. Søk i god tid.\n";
        Assert.Equal(MarkdownReader.Read(Write("a.md", Utf8, false, text)), MarkdownReader.Read(Write("a.md", Of(encoding), true, text)));
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void ACsvDataFileWithItsByteOrderMarkReadsAsTheSameTable(string encoding)
    {
        const string csv = "anchor,positive\r\nHva koster kaffen?,Kaffen koster 25 kr.\r\nNår åpner kantina?,Kantina åpner kl. 8.\r\n";
        var (header, rows) = DatasetReader.ReadTable(Write("par.csv", Of(encoding), true, csv));
        var (utf8Header, utf8Rows) = DatasetReader.ReadTable(Write("par.csv", Utf8, false, csv));
        Assert.Equal(["anchor", "positive"], header);
        Assert.Equal(utf8Header, header);
        Assert.Equal(utf8Rows.Select(r => r.Values), rows.Select(r => r.Values));
        Assert.Equal("Når åpner kantina?", rows[1].Values[0]);
    }

    [Theory]
    [InlineData(false, "little-endian")]
    [InlineData(true, "big-endian")]
    public void Utf16WithoutItsMarkIsOneLineSayingWhatTheFileIs(bool bigEndian, string order)
    {
        string path = Write("uten-merke.txt", new UnicodeEncoding(bigEndian, byteOrderMark: false), false, Handbook);
        var e = Assert.Throws<DataException>(() => DocumentIngest.Ingest([path], new ChunkOptions()));
        Assert.Contains($"uten-merke.txt: UTF-16 {order} without a byte order mark (a NUL byte beside every letter); save the file as UTF-8, or as UTF-16 with its mark",
            e.Message, StringComparison.Ordinal);
        // a data file too, by the same rule
        string csv = Write("uten-merke.csv", new UnicodeEncoding(bigEndian, byteOrderMark: false), false, "anchor,positive\na,b\n");
        var t = Assert.ThrowsAny<Exception>(() => DatasetReader.ReadTable(csv));
        Assert.Equal($"{csv}: UTF-16 {order} without a byte order mark (a NUL byte beside every letter); save the file as UTF-8, or as UTF-16 with its mark", t.Message);
    }

    [Fact]
    public void ALoneSurrogateInUtf16IsOneLineNamingItsLine()
    {
        // "ok\n" then a high surrogate followed by a letter, little-endian with its mark
        string path = Path.Combine(TestPaths.NewTempDir(), "halv.txt");
        File.WriteAllBytes(path, [0xFF, 0xFE, (byte)'o', 0, (byte)'k', 0, (byte)'\n', 0, 0x3D, 0xD8, (byte)'a', 0]);
        var result = DocumentIngest.Ingest([path, Write("ok.txt", Utf8, false, Handbook)], new ChunkOptions());
        Assert.Equal("line 2: not valid UTF-16 (a lone surrogate at offset 8); save the file as UTF-8", result.Skipped.Single().Reason);
    }

    [Fact]
    public void Utf8WithNulBytesHereAndThereIsNotTakenForUtf16()
    {
        // a NUL on one side of fewer than a quarter of the byte pairs is not UTF-16's shape: read as UTF-8, as before
        string text = "Ferie er fint.\0 Sommeren er lang og varm i år, og alle tar fri.\n";
        Assert.Equal(text, PlainTextReader.ReadText(Write("nul.txt", Utf8, false, text)));
    }
}
