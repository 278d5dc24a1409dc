using System.Text.Json;
using Skald.Models;
using Skald.Models.Checkpoints;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Static;

namespace Skald.Training.Tests.Static;

public sealed class StaticModelTests
{
    private static readonly string[] Words = ["sol", "regn", "fjell", "hav", "by", "skog", "vind", "snø", "elv", "båt", "tog", "bro"];

    private static TrainableEncoder Tiny(int dim = 6, ulong seed = 3, bool normalize = false) =>
        StaticFixtures.NewModel(StaticFixtures.WordLevelJson(Words), dim, seed, normalize);

    private static Tensors.Autograd.Parameter Weight(TrainableEncoder m) => Assert.Single(m.Parameters);

    private static EmbeddingBatch Forward(TrainableEncoder m, IReadOnlyList<string> texts)
    {
        using var pass = m.BeginPass(record: false);
        return pass.Forward(texts);
    }

    [Fact]
    public void ForwardIsTheMeanOfTokenRowsAndEmptyTextIsZero()
    {
        var m = Tiny();
        var batch = Forward(m, ["sol regn sol", "", "ukjent hav"]);
        int d = m.Dimension;
        var t = Weight(m).Data.ToArray();
        for (int j = 0; j < d; j++)
        {
            Assert.Equal((t[0 * d + j] + t[1 * d + j] + t[0 * d + j]) / 3f, batch.Row(0)[j], 5);
            Assert.Equal(0f, batch.Row(1)[j]);
            Assert.Equal((t[Words.Length * d + j] + t[3 * d + j]) / 2f, batch.Row(2)[j], 5); // [UNK] row
        }
        Assert.Empty(m.Tokenize([""])[0].Ids);
    }

    [Fact]
    public void CreateIsDeterministicAndStandardNormal()
    {
        var a = Weight(Tiny(dim: 64, seed: 9));
        Assert.Equal(a.Data.ToArray(), Weight(Tiny(dim: 64, seed: 9)).Data.ToArray());
        Assert.NotEqual(a.Data.ToArray(), Weight(Tiny(dim: 64, seed: 10)).Data.ToArray());
        double mean = a.Data.ToArray().Average(), var = a.Data.ToArray().Average(x => (x - mean) * (x - mean));
        Assert.InRange(mean, -0.15, 0.15);
        Assert.InRange(var, 0.8, 1.2);
        Assert.Equal([Words.Length + 1, 64], a.Shape);
        Assert.Equal("embedding.weight", a.Name);
    }

    [Fact]
    public void BackwardMatchesFiniteDifferencesThroughMnrl()
    {
        var m = Tiny();
        var loss = new MultipleNegativesRankingLoss(scale: 5f);
        string[][] columns =
        [
            ["sol regn", "fjell hav hav", "by skog vind"],
            ["regn sol snø", "hav", "skog by"],
            ["elv båt", "tog bro fjell", "snø snø vind"],
        ];
        float Loss()
        {
            var e = columns.Select(c => Forward(m, c)).ToArray();
            return loss.Compute(e, null, e.Select(x => new EmbeddingBatch(x.Rows, x.Dim)).ToArray());
        }
        m.ZeroGradients();
        loss.ComputeAndBackward(m, new TrainingBatch(columns));
        var analytic = Weight(m).Grad.ToArray();
        Assert.All(analytic.AsSpan(Words.Length * m.Dimension).ToArray(), g => Assert.Equal(0f, g)); // [UNK] does not appear
        Assert.Contains(analytic, g => g != 0f);

        var w = Weight(m).Data.Span;
        const float eps = 1e-2f;
        for (int i = 0; i < w.Length; i++)
        {
            float keep = w[i];
            w[i] = keep + eps;
            float up = Loss();
            w[i] = keep - eps;
            float down = Loss();
            w[i] = keep;
            double numeric = (up - (double)down) / (2 * eps);
            Assert.True(Math.Abs(numeric - analytic[i]) <= 2e-3 + 0.03 * Math.Abs(analytic[i]),
                $"entry {i}: numeric {numeric}, analytic {analytic[i]}");
        }
        m.ZeroGradients();
        Assert.All(Weight(m).Grad.ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void SavedFolderHasTheSentenceTransformersLayout()
    {
        var m = Tiny();
        string dir = Path.Combine(StaticFixtures.NewTempDir(), "model");
        m.Save(dir);
        var files = Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(dir, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["0_StaticEmbedding", "0_StaticEmbedding/model.safetensors", "0_StaticEmbedding/tokenizer.json",
            "README.md", "config_sentence_transformers.json", "modules.json"], files);
        Assert.Equal("""[{"idx":0,"name":"0","path":"0_StaticEmbedding","type":"sentence_transformers.models.StaticEmbedding"}]""",
            Compact(File.ReadAllText(Path.Combine(dir, "modules.json"))));
        using (var cfg = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "config_sentence_transformers.json"))))
        {
            var r = cfg.RootElement;
            Assert.Equal(["model_type", "__version__", "prompts", "default_prompt_name", "similarity_fn_name"], r.EnumerateObject().Select(p => p.Name));
            Assert.Equal("SentenceTransformer", r.GetProperty("model_type").GetString());
            Assert.Equal(["sentence_transformers", "transformers", "pytorch"], r.GetProperty("__version__").EnumerateObject().Select(p => p.Name));
            Assert.Equal("""{"query":"","document":""}""", r.GetProperty("prompts").GetRawText().Replace(" ", "").Replace("\n", "").Replace("\r", ""));
            Assert.Equal(JsonValueKind.Null, r.GetProperty("default_prompt_name").ValueKind);
            Assert.Equal("cosine", r.GetProperty("similarity_fn_name").GetString());
        }
        using (var st = SafeTensorsFile.Open(Path.Combine(dir, "0_StaticEmbedding", "model.safetensors")))
        {
            var info = Assert.Single(st.Tensors).Value;
            Assert.Equal("embedding.weight", info.Name);
            Assert.Equal(SafeTensorsDType.F32, info.DType);
            Assert.Equal([Words.Length + 1, 6], info.Shape);
            Assert.Equal("pt", st.Metadata["format"]);
            Assert.Equal(Weight(m).Data.ToArray(), st.ReadFloat32("embedding.weight"));
        }
        using (var tok = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "0_StaticEmbedding", "tokenizer.json"))))
            Assert.Equal(JsonValueKind.Null, tok.RootElement.GetProperty("padding").ValueKind);
        string card = File.ReadAllText(Path.Combine(dir, "README.md"));
        Assert.StartsWith("---\n", card);
        Assert.Contains("EmbeddingBag(13, 6, mode='mean')", card);
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(dir)!), p => Path.GetFileName(p).StartsWith('.'));
    }

    [Fact]
    public void NormalizeAddsTheModuleAndSentenceEncoderNormalises()
    {
        var m = Tiny(normalize: true);
        string dir = Path.Combine(StaticFixtures.NewTempDir(), "model");
        m.Save(dir);
        Assert.True(Directory.Exists(Path.Combine(dir, "1_Normalize")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(dir, "1_Normalize")));
        Assert.EndsWith(""",{"idx":1,"name":"1","path":"1_Normalize","type":"sentence_transformers.models.Normalize"}]""",
            Compact(File.ReadAllText(Path.Combine(dir, "modules.json"))));
        var e = SentenceEncoder.Load(dir).Encode("sol regn vind");
        Assert.Equal(1f, MathF.Sqrt(e.Sum(v => v * v)), 5);
        var back = TrainableEncoder.Load(dir);
        Assert.True(back.Source.Normalize);
        Assert.Equal(e, back.Encode(["sol regn vind"])[0]);
    }

    [Fact]
    public void SaveThenSentenceEncoderLoadGivesIdenticalEmbeddings()
    {
        var m = Tiny(dim: 16);
        string dir = Path.Combine(StaticFixtures.NewTempDir(), "model");
        m.Save(dir);
        m.Save(dir); // overwriting an existing folder works
        string[] texts = ["sol regn", "  fjell  hav hav ", "", "ukjent ord", "båt tog bro elv snø vind skog by hav fjell regn sol"];
        var encoder = SentenceEncoder.Load(dir);
        Assert.Equal(16, encoder.Dimension);
        var expected = encoder.Encode(texts, new EncodeOptions { BatchSize = 2 });
        var actual = m.Encode(texts);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(expected[i], actual[i]);
        var reloaded = TrainableEncoder.Load(dir);
        Assert.Equal(Weight(m).Data.ToArray(), Weight(reloaded).Data.ToArray());
        Assert.Equal(actual, reloaded.Encode(texts));
    }

    [Fact]
    public void WordPieceTokenizerFromAModelFolderRoundTrips()
    {
        string tokPath = Path.Combine(StaticFixtures.FixtureModel("bert-cased-mean"), "tokenizer.json");
        var tok = Tokenizers.Tokenizer.FromFile(tokPath);
        var m = StaticFixtures.NewModel(File.ReadAllText(tokPath), 8, seed: 1);
        string dir = Path.Combine(StaticFixtures.NewTempDir(), "model");
        m.Save(dir);
        string[] texts = ["Hei på deg, Kari!", "Fjellet er høyt", "x", ""];
        Assert.Equal(SentenceEncoder.Load(dir).Encode(texts), m.Encode(texts));
        Assert.DoesNotContain(tok.TokenToId("[CLS]")!.Value, m.Tokenize(["Hei"])[0].Ids);
    }

    private static string Compact(string json) => JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement);
}
