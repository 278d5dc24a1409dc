using Skald.Tokenizers.Core;
using Skald.Tokenizers.Models;

namespace Skald.Tokenizers.Tests;

/// <summary>The WordPiece trie walk against HF's loop of ever shorter lookups (kept as TokenizeByLookup).</summary>
public sealed class WordPieceTrieTests
{
    private static WordPieceModel Model(params string[] tokens)
    {
        var vocab = new Dictionary<string, int>();
        foreach (var t in tokens.Prepend("[UNK]")) vocab.TryAdd(t, vocab.Count);
        return new WordPieceModel(vocab, "[UNK]", "##", 20);
    }

    private static void AssertSame(WordPieceModel model, string word)
    {
        var want = new TokenBuffer();
        var got = new TokenBuffer();
        model.TokenizeByLookup(word, want);
        model.TokenizeInto(word, got);
        string Show(TokenBuffer b) => string.Join(" ", Enumerable.Range(0, b.Count).Select(i => $"{b.Values[i]}:{b.Ids[i]}@{b.Starts[i]}-{b.Ends[i]}"));
        Assert.True(Show(want) == Show(got), $"\"{word}\": lookup [{Show(want)}] vs trie [{Show(got)}]");
    }

    [Fact]
    public void TrieMatchesLookupLoop()
    {
        var model = Model("a", "ab", "abc", "abcd", "##b", "##bc", "##c", "##d", "##cd", "b", "bl", "blå", "##å", "##bær",
            "##æ", "##r", "ø", "##ø", "😀", "##😀", "x\uD83D", "##\uD83D", "中", "##", "é", "##e\u0301");
        string[] words =
        [
            "a", "ab", "abc", "abcd", "abcdd", "abdc", "abx", "x", "", "blåbær", "blåbæ", "blåbærø", "øø", "😀", "a😀", "😀😀",
            "x😀", "a\uD83D", "ae\u0301", "é", "中中", "##", "a##", "b", "bb", new string('a', 20), new string('a', 21),
            string.Concat(Enumerable.Repeat("abcd", 5)),
        ];
        foreach (var w in words) AssertSame(model, w);
    }

    [Fact]
    public void TrieMatchesLookupLoopOnFixtureVocabulary()
    {
        var tk = Tokenizer.FromFile(FixturePaths.TokenizerJson("wordpiece-cased"));
        var model = (WordPieceModel)typeof(Tokenizer).GetField("_model", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(tk)!;
        foreach (var line in File.ReadLines(Path.Combine(FixturePaths.TokenizerFixtures, "corpus.txt")).Take(400))
            foreach (var word in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                AssertSame(model, word);
    }
}
