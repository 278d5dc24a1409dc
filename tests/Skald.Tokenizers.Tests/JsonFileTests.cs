using Skald.Tokenizers.Serialization;

namespace Skald.Tokenizers.Tests;

/// <summary>
/// <see cref="JsonFile"/>: the one wording of a user's JSON file that is empty or does not parse, its line and column
/// counted from 1 in characters (the parser counts lines from 0 and bytes within the line from 0).
/// </summary>
public sealed class JsonFileTests
{
    private static string Message(string text, string name = "f.json") =>
        Assert.Throws<InvalidDataException>(() => JsonFile.Parse(text, name, m => new InvalidDataException(m)).Dispose()).Message;

    [Theory]
    [InlineData("")]
    [InlineData(" \n\t\r\n")]
    [InlineData("\uFEFF\n")]
    public void NothingButWhiteSpaceIsEmpty(string text) => Assert.Equal("f.json: empty", Message(text));

    [Theory]
    [InlineData("{\"a\": }", 1)]
    [InlineData("{\n  \"a\": 1,\n  \"b\": }", 3)]
    [InlineData("{\"å\": \"ø\",\n \"æøå\": }", 2)]          // 2-byte characters before the '}': the column counts characters
    [InlineData("{\"emoji\": \"😀\", \"x\": }", 1)]          // a 4-byte character is one text element but two UTF-16 units
    [InlineData("\uFEFF{\n\"a\": }", 2)]                     // a BOM is not a column
    public void TheLineAndColumnAreOfTheOffendingCharacterCountedFromOne(string text, int line)
    {
        // the expected place from the text itself: the line of the '}' and its position in that line, in Unicode scalars
        string body = text.TrimStart('\uFEFF');
        string lineText = body.Split('\n')[line - 1];
        int column = lineText[..lineText.LastIndexOf('}')].EnumerateRunes().Count() + 1;
        Assert.Equal($"f.json: not JSON (line {line}, column {column}): '}}' is an invalid start of a value.", Message(text));
    }

    [Fact]
    public void AFileIsReadStrictlyAndNamedByItsPath()
    {
        string dir = Directory.CreateTempSubdirectory("skald-jsonfile-").FullName;
        try
        {
            string path = Path.Combine(dir, "config.json");
            File.WriteAllText(path, "[1,\n 2,,]");
            var e = Assert.Throws<InvalidDataException>(() => JsonFile.Read(path, m => new InvalidDataException(m)).Dispose());
            Assert.StartsWith($"{path}: not JSON (line 2, column 4): ", e.Message);
            Assert.DoesNotContain("LineNumber", e.Message);
            File.WriteAllText(path, "{\"a\": [1, 2]}");
            Assert.Equal(2, JsonFile.ReadNode(path, m => new InvalidDataException(m))["a"]!.AsArray().Count);
            File.WriteAllText(path, "\n");
            Assert.Equal($"{path}: empty", Assert.Throws<InvalidDataException>(() => JsonFile.ReadNode(path, m => new InvalidDataException(m))).Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
    /// <summary>
    /// A JSON file saved as UTF-16 with its byte order mark (Notepad's "Unicode": a suite, a config) is read as the other
    /// input files are (README: "benchmark suites ... JSON configs alike"); without its mark it is the one line saying so.
    /// Before, the JSON reader checked for UTF-8 alone: "not valid UTF-8 (byte 0xFF at offset 0)".
    /// </summary>
    [Fact]
    public void AUtf16FileWithItsMarkIsReadAndOneWithoutIsNamed()
    {
        string dir = Directory.CreateTempSubdirectory("skald-jsonfile-").FullName;
        try
        {
            string path = Path.Combine(dir, "suite.json");
            const string json = "{\"name\": \"nordisk æøå\", \"tasks\": [1, 2]}";
            foreach (var encoding in new System.Text.Encoding[] { new System.Text.UnicodeEncoding(false, true), new System.Text.UnicodeEncoding(true, true) })
            {
                File.WriteAllBytes(path, [.. encoding.GetPreamble(), .. encoding.GetBytes(json)]);
                using (var doc = JsonFile.Read(path, m => new InvalidDataException(m)))
                    Assert.Equal("nordisk æøå", doc.RootElement.GetProperty("name").GetString());
                Assert.Equal(2, JsonFile.ReadNode(path, m => new InvalidDataException(m))["tasks"]!.AsArray().Count);
            }
            File.WriteAllBytes(path, System.Text.Encoding.Unicode.GetBytes(json));
            var e = Assert.Throws<InvalidDataException>(() => JsonFile.Read(path, m => new InvalidDataException(m)).Dispose());
            Assert.Contains("UTF-16 little-endian without a byte order mark", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
