using System.Text.Json;
using Skald.Tokenizers;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald encode</c> says how many texts were longer than the max length and were embedded from their first tokens;
/// a text of exactly max length is not counted. Token counts come from the fixture's tokenizer without any limit.
/// </summary>
public sealed class EncodeTruncationNoteTests
{
    [Fact]
    public void TextsLongerThanMaxLengthAreCountedInANote()
    {
        string model = TestPaths.FixtureModel("bert-cased-mean");
        var tokenizer = Tokenizer.FromFile(Path.Combine(model, "tokenizer.json"));
        string[] texts = ["Fjellet er høyt", "Fjellet er høyt og fjorden er dyp", "Fjellet er høyt og fjorden er dyp om vinteren"];
        int[] lengths = [.. texts.Select(t => tokenizer.Encode(t).Length)];
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "texts.jsonl"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllLines(input, texts.Select(t => JsonSerializer.Serialize(new { text = t })));
        foreach (int max in new[] { lengths[0], lengths[1], lengths[1] + 1, lengths[2] })
        {
            int longer = lengths.Count(n => n > max);
            var r = InProcessSkald.Capture("encode", "--model", model, "--input", input, "--output", output, "--max-length", max.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(r.ExitCode == 0, r.Stderr);
            string note = $"note: {longer} of 3 texts are longer than {max} tokens (--max-length, special tokens included)";
            if (longer > 0) Assert.Contains(note, r.Stderr);
            else Assert.DoesNotContain("note:", r.Stderr);
        }
    }
}
