
using System.Text.Json;
using Skald.Tests;
using Skald.Tokenizers;

namespace Skald.Models.Tests.Modules;

/// <summary>
/// A Model2Vec folder (config.json model_type "model2vec", no modules.json) embeds as model2vec's
/// <c>StaticModel.encode</c>: texts cut to max_length · median token length code points, tokenized without special
/// tokens, unknown tokens dropped, at most 512 tokens, rows embeddings[mapping[id]]·weights[id] averaged, then
/// normalised (÷ (‖v‖ + 1e-32)) when config.json says so. The expected values are computed here from the raw arrays
/// and tokenizer.json, the tokenizer's ids being the one shared piece (HF parity is the tokenizer tests' job).
/// </summary>
public sealed class Model2VecFolderTests
{
    private const int Rows = 7, Dim = 6;
    private static readonly string[] Words = ["gården", "drømmer", "skogen", "klokka", "kontoret", "vinteren", "familien", "sammen", "fjellet", "Bergen", "Göteborg"];
    private static readonly string TokenizerJson = Path.Combine(TestPaths.FixtureModel("bert-cased-mean"), "tokenizer.json");

    /// <summary>A safetensors file with F32 and I64 tensors (the writer under test writes floats only).</summary>
    private static void Write(string path, params (string Name, string DType, int[] Shape, byte[] Data)[] tensors)
    {
        var header = new Dictionary<string, object>();
        long at = 0;
        foreach (var t in tensors)
        {
            header[t.Name] = new { dtype = t.DType, shape = t.Shape, data_offsets = new[] { at, at + t.Data.Length } };
            at += t.Data.Length;
        }
        byte[] json = System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var f = File.Create(path);
        f.Write(BitConverter.GetBytes((long)json.Length));
        f.Write(json);
        foreach (var t in tensors) f.Write(t.Data);
    }

    private static byte[] Bytes<T>(T[] values) where T : unmanaged => System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    private sealed record Fixture(string Dir, float[] Embeddings, long[] Mapping, float[] Weights, bool Normalize);

    private static Fixture Folder(bool normalize)
    {
        string dir = TestPaths.NewTempDir();
        File.Copy(TokenizerJson, Path.Combine(dir, "tokenizer.json"));
        int vocab = Tokenizer.FromFile(TokenizerJson).IdBound;
        var rng = new Random(5);
        var embeddings = Enumerable.Range(0, Rows * Dim).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var mapping = Enumerable.Range(0, vocab).Select(i => (long)((i * 3) % Rows)).ToArray();
        var weights = Enumerable.Range(0, vocab).Select(_ => (float)(0.2 + rng.NextDouble())).ToArray();
        Write(Path.Combine(dir, "model.safetensors"),
            ("embeddings", "F32", [Rows, Dim], Bytes(embeddings)), ("mapping", "I64", [vocab], Bytes(mapping)), ("weights", "F32", [vocab], Bytes(weights)));
        File.WriteAllText(Path.Combine(dir, "config.json"),
            $$"""{"model_type": "model2vec", "architectures": ["StaticModel"], "hidden_dim": {{Dim}}, "normalize": {{(normalize ? "true" : "false")}}, "vocabulary_quantization": {{Rows}}}""");
        return new Fixture(dir, embeddings, mapping, weights, normalize);
    }

    /// <summary>model2vec's encode of one text, from the raw arrays.</summary>
    private static double[] Expected(Fixture f, Tokenizer tokenizer, string text)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TokenizerJson));
        var vocab = doc.RootElement.GetProperty("model").GetProperty("vocab");
        var lengths = vocab.EnumerateObject().Select(p => p.Name.EnumerateRunes().Count()).Order().ToArray();
        int median = (int)(lengths.Length % 2 == 1 ? lengths[lengths.Length / 2] : (lengths[lengths.Length / 2 - 1] + lengths[lengths.Length / 2]) / 2.0);
        int unk = vocab.GetProperty(doc.RootElement.GetProperty("model").GetProperty("unk_token").GetString()!).GetInt32();
        var runes = text.EnumerateRunes().Take(512 * median);
        string cut = string.Concat(runes.Select(r => r.ToString()));
        var ids = tokenizer.Encode(cut, false).Ids.Where(id => id != unk).Take(512).ToArray();
        var sum = new double[Dim];
        foreach (int id in ids)
        {
            for (int d = 0; d < Dim; d++) sum[d] += f.Embeddings[f.Mapping[id] * Dim + d] * f.Weights[id];
        }
        if (ids.Length > 0) for (int d = 0; d < Dim; d++) sum[d] /= ids.Length;
        if (f.Normalize)
        {
            double norm = Math.Sqrt(sum.Sum(v => v * v)) + 1e-32;
            for (int d = 0; d < Dim; d++) sum[d] /= norm;
        }
        return sum;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EmbedsAsModel2VecEncodes(bool normalize)
    {
        var f = Folder(normalize);
        var encoder = SentenceEncoder.Load(f.Dir);
        Assert.True(encoder.Folder.IsStatic && encoder.Folder.IsModel2Vec);
        Assert.Equal(Dim, encoder.Dimension);
        string[] texts =
        [
            "Toget går fra Bergen klokka sju.",
            "☃ ☃ Oslo ☃", // unknown tokens (the snowman is not in the vocabulary) are dropped, not averaged
            "", // no tokens: zeros
            // Whole-word tokens: the cut at 512 · median (4) characters comes first, at about 230 tokens.
            string.Join(' ', Enumerable.Range(0, 900).Select(i => Words[(i * 7 + i / 5) % Words.Length])),
            // Single letters: two characters a token, so the cut at 512 tokens comes first.
            string.Join(' ', Enumerable.Range(0, 1500).Select(i => (char)('a' + (i * i + 3 * i) % 26))),
        ];
        var tokenizer = Tokenizer.FromFile(TokenizerJson);
        Assert.Contains(tokenizer.UnknownTokenId!.Value, tokenizer.Encode(texts[1], false).Ids);
        var actual = encoder.Encode(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            var expected = Expected(f, tokenizer, texts[i]);
            for (int d = 0; d < Dim; d++)
                Assert.True(Math.Abs(expected[d] - actual[i][d]) <= 1e-5, $"text {i}, dimension {d}: expected {expected[d]}, got {actual[i][d]}");
        }
        Assert.All(actual[2], v => Assert.Equal(0f, v));
    }

    [Fact]
    public void AMappingOutsideTheTableIsOneLineNamingIt()
    {
        var f = Folder(true);
        int vocab = f.Mapping.Length;
        var bad = f.Mapping.ToArray();
        bad[3] = Rows; // one past the last row
        Write(Path.Combine(f.Dir, "model.safetensors"),
            ("embeddings", "F32", [Rows, Dim], Bytes(f.Embeddings)), ("mapping", "I64", [vocab], Bytes(bad)), ("weights", "F32", [vocab], Bytes(f.Weights)));
        var e = Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(f.Dir));
        Assert.Contains("\"mapping\"[3] = 7 is outside [0, 7)", e.Message);
    }
}
