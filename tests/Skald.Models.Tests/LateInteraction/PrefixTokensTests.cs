using System.Text.Json;
using System.Text.Json.Nodes;
using Skald.Models.Checkpoints;
using Skald.Models.LateInteraction;
using Skald.Tensors;
using Skald.Tokenizers;

namespace Skald.Models.Tests.LateInteraction;

/// <summary>
/// A ColBERT's prefix tokens added to a base that lacks them, as PyLate's ColBERT(...) adds them: the tokenizer files
/// equal what Hugging Face tokenizers' <c>add_tokens</c> saves and tokenize as it does
/// (fixtures/tokenizers/make_colbert_prefix.mjs), and the embedding table's new rows are transformers' mean-resizing
/// draws around the old rows' mean with their scaled covariance as plain torch computes them
/// (fixtures/training/make_colbert_prefix_reference.py); the old rows and every other weight are kept.
/// </summary>
public sealed class PrefixTokensTests : IDisposable
{
    private static readonly string Base = TestPaths.FixtureModel("bert-cased-mean");
    private readonly string dir = TestPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static JsonElement Fixture(string name) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "training", name))).RootElement;

    [Fact]
    public void TheTokenizerFilesAreWhatHfTokenizersSavesAndTokenizeAsItDoes()
    {
        var oracle = Fixture("colbert_prefix_tokens.json");
        string target = Path.Combine(dir, "base");
        var tokenizer = Tokenizer.FromFolder(Base);
        var missing = PrefixTokens.Missing(tokenizer, new ColbertSettings());
        Assert.Equal(["[Q] ", "[D] "], missing);
        var added = PrefixTokens.WriteBase(Base, target, missing, 42);
        Assert.Equal([("[Q] ", 800), ("[D] ", 801)], added);

        var saved = JsonNode.Parse(File.ReadAllText(Path.Combine(target, "tokenizer.json")))!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(oracle.GetProperty("added_tokens").GetRawText()), saved["added_tokens"]), saved["added_tokens"]!.ToJsonString());
        var original = JsonNode.Parse(File.ReadAllText(Path.Combine(Base, "tokenizer.json")))!.AsObject();
        original.Remove("added_tokens");
        saved.AsObject().Remove("added_tokens");
        Assert.True(JsonNode.DeepEquals(original, saved), "every other key of tokenizer.json is kept");

        var reread = Tokenizer.FromFolder(target);
        Assert.Equal(oracle.GetProperty("vocab_size_after").GetInt32(), reread.VocabSize);
        foreach (var e in oracle.GetProperty("encodings").EnumerateArray())
            Assert.Equal(e.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(), reread.Encode(e.GetProperty("text").GetString()!, true).Ids.ToArray());
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(target, "config.json")));
        Assert.Equal(802, config.RootElement.GetProperty("vocab_size").GetInt32());
        Assert.Equal(File.ReadAllText(Path.Combine(Base, "modules.json")), File.ReadAllText(Path.Combine(target, "modules.json")));
        Assert.Equal(File.ReadAllText(Path.Combine(Base, "1_Pooling", "config.json")), File.ReadAllText(Path.Combine(target, "1_Pooling", "config.json")));
    }

    [Fact]
    public void TheNewRowsAreMeanResizingDrawsAndTheOldWeightsAreKept()
    {
        var reference = Fixture("colbert_prefix_embeddings.json");
        Assert.True(reference.GetProperty("positive_definite").GetBoolean());
        string target = Path.Combine(dir, "base");
        PrefixTokens.WriteBase(Base, target, ["[Q] ", "[D] "], 7);
        using var before = Checkpoint.OpenFolder(Base);
        using var after = Checkpoint.OpenFile(Path.Combine(target, "model.safetensors"));
        string key = reference.GetProperty("key").GetString()!;
        int width = reference.GetProperty("width").GetInt32();
        Assert.Equal([802, width], after.Shape(key));
        var old = before.Read(key, 800, width);
        var table = after.Read(key, 802, width);
        Assert.Equal(old, table[..(800 * width)]);
        foreach (var k in before.Keys.Where(k => k != key))
            Assert.Equal(before.Read(k, before.Shape(k)), after.Read(k, after.Shape(k)));

        // Whitened by torch's Cholesky factor of 1e-9·Cov, each new row minus torch's mean is a standard normal draw:
        // a table resized any other way (zeros, normal(0, 0.02), the mean alone) is thousands of units off or exactly 0.
        var mean = reference.GetProperty("mean").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        var l = reference.GetProperty("scale_tril").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray();
        var z = new List<double>();
        for (int r = 800; r < 802; r++)
        {
            var y = new double[width];
            for (int i = 0; i < width; i++)
            {
                double s = table[r * width + i] - mean[i];
                for (int j = 0; j < i; j++) s -= l[i][j] * y[j];
                y[i] = s / l[i][i];
            }
            z.AddRange(y);
        }
        Assert.All(z, x => Assert.True(Math.Abs(x) < 5, $"a whitened value of {x}"));
        double meanSquare = z.Sum(x => x * x) / z.Count;
        Assert.InRange(meanSquare, 0.5, 1.6);

        // The same seed gives the same table.
        string again = Path.Combine(dir, "again");
        PrefixTokens.WriteBase(Base, again, ["[Q] ", "[D] "], 7);
        using var second = Checkpoint.OpenFile(Path.Combine(again, "model.safetensors"));
        Assert.Equal(table, second.Read(key, 802, width));
    }

    [Fact]
    public void ATableLongerThanTheTokenizerIsCutToItFirstAsPyLatesFirstResizeDoes()
    {
        // A base whose table has 8 rows more than its tokenizer has tokens (as ModernBERT's 50368 rows for 50280
        // tokens): PyLate's resize_token_embeddings(len(tokenizer)) cuts it to 800 rows before the two tokens are
        // added, so the new rows are draws around the first 800 rows' mean (the reference) and the table has 802.
        var reference = Fixture("colbert_prefix_embeddings.json");
        string key = reference.GetProperty("key").GetString()!;
        int width = reference.GetProperty("width").GetInt32();
        string source = TestPaths.CopyFolder(Base, Path.Combine(dir, "source"));
        var tensors = new List<TensorToWrite>();
        using (var original = Checkpoint.OpenFolder(Base))
        {
            foreach (var k in original.Keys.Where(k => !k.EndsWith("position_ids", StringComparison.Ordinal)))
            {
                var values = original.Read(k, original.Shape(k));
                tensors.Add(k == key
                    ? new TensorToWrite(k, [808, width], [.. values, .. Enumerable.Repeat(100f, 8 * width)]) // far-off rows that must not count
                    : new TensorToWrite(k, original.Shape(k), values));
            }
        }
        SafeTensorsWriter.Write(Path.Combine(source, "model.safetensors"), tensors);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "config.json")))!.AsObject();
        config["vocab_size"] = 808;
        File.WriteAllText(Path.Combine(source, "config.json"), config.ToJsonString());

        string target = Path.Combine(dir, "base");
        Assert.Equal([("[Q] ", 800), ("[D] ", 801)], PrefixTokens.WriteBase(source, target, ["[Q] ", "[D] "], 3));
        using var after = Checkpoint.OpenFile(Path.Combine(target, "model.safetensors"));
        Assert.Equal([802, width], after.Shape(key));
        var table = after.Read(key, 802, width);
        var mean = reference.GetProperty("mean").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        for (int r = 800; r < 802; r++)
        {
            for (int i = 0; i < width; i++) Assert.True(Math.Abs(table[r * width + i] - mean[i]) < 1e-3, $"row {r} value {i}: {table[r * width + i]} vs the mean {mean[i]}");
        }
        using var written = JsonDocument.Parse(File.ReadAllText(Path.Combine(target, "config.json")));
        Assert.Equal(802, written.RootElement.GetProperty("vocab_size").GetInt32());
    }

    [Fact]
    public void TokenizerConfigAndAddedTokensJsonCarryTheTokensWhenTheBaseHasThem()
    {
        // A base saved by transformers 4.x: tokenizer_config.json's added_tokens_decoder and an added_tokens.json.
        string source = TestPaths.CopyFolder(Base, Path.Combine(dir, "source"));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "tokenizer_config.json")))!.AsObject();
        config["added_tokens_decoder"] = new JsonObject { ["0"] = new JsonObject { ["content"] = "[PAD]", ["special"] = true } };
        File.WriteAllText(Path.Combine(source, "tokenizer_config.json"), config.ToJsonString());
        File.WriteAllText(Path.Combine(source, "added_tokens.json"), """{"[X]": 799}""");
        string target = Path.Combine(dir, "base");
        PrefixTokens.WriteBase(source, target, ["[Q] "], 42);
        var saved = JsonNode.Parse(File.ReadAllText(Path.Combine(target, "tokenizer_config.json")))!;
        var entry = saved["added_tokens_decoder"]!["800"]!;
        Assert.Equal("[Q] ", (string?)entry["content"]);
        Assert.True((bool)entry["normalized"]!);
        Assert.False((bool)entry["special"]!);
        Assert.Equal("[PAD]", (string?)saved["added_tokens_decoder"]!["0"]!["content"]);
        Assert.Equal("[MASK]", (string?)saved["mask_token"]);
        var addedJson = JsonNode.Parse(File.ReadAllText(Path.Combine(target, "added_tokens.json")))!;
        Assert.Equal(799, (int)addedJson["[X]"]!);
        Assert.Equal(800, (int)addedJson["[Q] "]!);
    }

    [Fact]
    public void RowsWhoseCovarianceIsNotPositiveDefiniteGrowByTheMean()
    {
        // The first value is the same in every row (a zero variance): transformers then sets each new row to the mean.
        float[] table = [1, 2, 3, 4, 1, 0, 1, 5, 1, 1, -1, 3];
        var grown = EmbeddingResize.Resize(table, 3, 4, 5, new SkaldRandom(1));
        Assert.Equal(table, grown[..12]);
        float[] mean = [1f, 1f, 1f, 4f];
        Assert.Equal(mean, grown[12..16]);
        Assert.Equal(mean, grown[16..20]);
        Assert.Equal(table[..8], EmbeddingResize.Resize(table, 3, 4, 2, new SkaldRandom(1)));
    }
}
