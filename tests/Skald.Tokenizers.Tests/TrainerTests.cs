using Skald.Tokenizers.Training;
using Xunit.Abstractions;

namespace Skald.Tokenizers.Tests;

/// <summary>
/// Tokenizers trained by Skald (on ../shared/data/text when present, else on the fixture corpus) must
/// load in HF tokenizers (the oracle) and encode a sample identically there (ids, tokens, offsets,
/// decoded text).
/// </summary>
public sealed class TrainerTests(ITestOutputHelper output)
{
    private static List<string> Corpus(out string source)
    {
        string shared = Path.GetFullPath(Path.Combine(FixturePaths.RepoRoot, "..", "shared", "data", "text"));
        if (Directory.Exists(shared) && Directory.GetFiles(shared, "ud-*.txt").Length > 0)
        {
            source = shared;
            // Every fourth line keeps the test fast; the CLI trains on everything.
            return Directory.GetFiles(shared, "ud-*.txt").Order(StringComparer.Ordinal).SelectMany(File.ReadLines).Where(l => l.Length > 0)
                .Where((_, i) => i % 4 == 0).ToList();
        }
        source = "fixtures/tokenizers/corpus.txt";
        return File.ReadLines(Path.Combine(FixturePaths.TokenizerFixtures, "corpus.txt")).Where(l => l.Length > 0).ToList();
    }

    [Fact]
    public void TrainedTokenizersHaveTheRequestedShape()
    {
        var lines = File.ReadLines(Path.Combine(FixturePaths.TokenizerFixtures, "corpus.txt")).ToList();
        foreach (var kind in Enum.GetValues<TokenizerKind>())
        {
            var t = TokenizerTrainer.Train(lines, new TokenizerTrainingOptions { Kind = kind, VocabSize = 400, InitialAlphabet = ["✓"] });
            Assert.True(t.VocabSize <= 400, $"{kind}: {t.VocabSize}");
            Assert.True(t.VocabSize > 200, $"{kind}: {t.VocabSize}");
            Assert.Equal(0, t.TokenToId(kind == TokenizerKind.WordPiece ? "[PAD]" : "<s>"));
            var e = t.Encode("Hei på deg ✓", addSpecialTokens: false);
            Assert.NotEmpty(e.Ids);
            Assert.Equal("Hei på deg ✓", t.Decode(e.Ids).Trim());
        }
    }

    [Fact]
    public async Task TrainedTokenizersLoadAndEncodeIdenticallyInHf()
    {
        var lines = Corpus(out string source);
        string fixtures = FixturePaths.TokenizerFixtures;
        if (!Directory.Exists(Path.Combine(fixtures, "node_modules", "tokenizers")))
        {
            output.WriteLine("NOT RUN: the oracle is not installed (run `npm ci` in fixtures/tokenizers)");
            return;
        }
        string dir = Path.Combine(Path.GetTempPath(), $"skald-trained-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var kinds = Enum.GetValues<TokenizerKind>();
            var paths = new List<string>();
            foreach (var kind in kinds)
            {
                string path = Path.Combine(dir, $"{kind}.json");
                File.WriteAllText(path, TokenizerTrainer.TrainJson(lines, new TokenizerTrainingOptions { Kind = kind, VocabSize = 1500 }));
                paths.Add(path);
            }
            // Sample: every 7th corpus line plus the edge cases.
            var sample = lines.Where((_, i) => i % 2 == 0).Concat(File.ReadLines(Path.Combine(fixtures, "edge-cases.txt"))).Where(l => l.Length > 0).ToList();
            string textsPath = Path.Combine(dir, "texts.txt");
            File.WriteAllLines(textsPath, sample);
            if (await OracleNode.RunAsync(new[] { "oracle_encode.mjs", textsPath, Path.Combine(dir, "out") }.Concat(paths), output) is not (int code, _, string stderr)) return;
            Assert.True(code == 0, $"HF tokenizers could not load/encode a Skald-trained tokenizer: {stderr}");
            for (int i = 0; i < kinds.Length; i++)
            {
                var tokenizer = Tokenizer.FromFile(paths[i]);
                var (n, mismatches) = OracleComparer.CompareFile(tokenizer, Path.Combine(dir, "out", $"{i}.jsonl"));
                output.WriteLine($"{kinds[i]} trained on {lines.Count} lines of {source} (vocab {tokenizer.VocabSize}): HF loaded it; compared {n} lines, {mismatches.Count} mismatches");
                foreach (var m in mismatches.Take(5)) output.WriteLine(m);
                Assert.Empty(mismatches);
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
