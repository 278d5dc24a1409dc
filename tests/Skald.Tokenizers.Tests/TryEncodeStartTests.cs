namespace Skald.Tokenizers.Tests;

/// <summary>
/// <see cref="Tokenizer.TryEncodeStart"/> gives, from the start of a text alone, the encoding of the whole text
/// truncated to max_length, or declines when the start cannot tell.
/// </summary>
public sealed class TryEncodeStartTests
{
    [Fact]
    public void TheStartGivesTheWholeTextsTruncationOrDeclines()
    {
        var rnd = new Random(11);
        string[] words = ["fjell", "og", "fjord,", "Ærø", "2026", "hus.", "(x)", "vær"];
        string text = string.Join(' ', Enumerable.Range(0, 40_000).Select(_ => words[rnd.Next(words.Length)]));
        foreach (var dir in Directory.GetDirectories(FixturePaths.TokenizerFixtures).Where(d => File.Exists(Path.Combine(d, "tokenizer.json"))))
        {
            string name = Path.GetFileName(dir);
            var tok = Tokenizer.FromFile(FixturePaths.TokenizerJson(name));
            foreach (int max in new[] { 3, 64, 512 })
            {
                string where = $"{name}, max_length {max}";
                Assert.True(tok.TryEncodeStart(text[..20_000], max, out var got), $"{where}: declined a start with many cuts");
                var want = tok.Encode(text, maxLength: max);
                Assert.True(want.Ids.SequenceEqual(got.Ids), $"{where}: ids differ");
                Assert.True(want.Offsets.SequenceEqual(got.Offsets), $"{where}: offsets differ");
                Assert.True(want.Tokens.SequenceEqual(got.Tokens), $"{where}: tokens differ");
                Assert.True(got.Truncated, $"{where}: not marked truncated");
            }
            Assert.False(tok.TryEncodeStart(text[..200], 64, out _), $"{name}: a start no longer than the first prefix");
            Assert.False(tok.TryEncodeStart(text[..20_000], 0, out _), $"{name}: no max length");
        }
        var bert = Tokenizer.FromFile(FixturePaths.TokenizerJson("wordpiece-uncased"));
        Assert.False(bert.TryEncodeStart(new string('a', 20_000), 8, out _), "one long word: the rest may still be part of it");
    }
}
