using System.Text.Json;
using Skald.Models.CrossEncoders;
using Xunit.Abstractions;

namespace Skald.Models.Tests.CrossEncoders;

/// <summary>
/// Cross-encoders against fixtures/models/make_cross_encoders.py: BERT, XLM-R, ModernBERT, Qwen3, DistilBERT and GTE
/// (NewForSequenceClassification) sequence-classification folders, token ids from the real HF tokenizers library (pairs, longest_first truncation), logits from plain-PyTorch
/// re-implementations of the transformers heads; 1e-5 absolute.
/// </summary>
public sealed class CrossEncoderTests(ITestOutputHelper output)
{
    private const float Tolerance = 1e-5f;

    public static TheoryData<string> Folders => ["ce-bert", "ce-xlmr", "ce-modernbert", "ce-qwen3", "ce-distilbert", "ce-gte"];

    private sealed record Expected(string Query, string Document, int[] Ids, int[] TypeIds, float[] Logits, float[] Scores);

    private static List<Expected> Read(string name) =>
        File.ReadLines(Path.Combine(TestPaths.FixtureModel(name), "expected.jsonl")).Where(l => l.Length > 0).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            var r = doc.RootElement;
            int[] Ints(string k) => r.GetProperty(k).EnumerateArray().Select(x => x.GetInt32()).ToArray();
            float[] Floats(string k) => r.GetProperty(k).EnumerateArray().Select(x => x.GetSingle()).ToArray();
            return new Expected(r.GetProperty("query").GetString()!, r.GetProperty("document").GetString()!,
                Ints("ids"), Ints("type_ids"), Floats("logits"), Floats("scores"));
        }).ToList();

    [Theory]
    [MemberData(nameof(Folders))]
    public void ScoresMatchThePyTorchReference(string name)
    {
        var model = CrossEncoder.Load(TestPaths.FixtureModel(name));
        var expected = Read(name);
        var pairs = expected.Select(e => (e.Query, e.Document)).ToArray();
        var encodings = model.Tokenize(pairs);
        for (int i = 0; i < pairs.Length; i++)
        {
            Assert.Equal(expected[i].Ids, encodings[i].Ids);
            Assert.Equal(expected[i].TypeIds, encodings[i].TypeIds);
        }
        float worst = 0;
        var scores = model.Predict(pairs, new CrossEncoderOptions { BatchSize = 5 });
        var logits = model.Predict(pairs, new CrossEncoderOptions { BatchSize = 7, Activation = ScoreActivation.Identity });
        for (int i = 0; i < pairs.Length; i++)
        {
            Assert.Equal(expected[i].Scores.Length, scores[i].Length);
            for (int j = 0; j < scores[i].Length; j++)
            {
                worst = Math.Max(worst, Math.Abs(expected[i].Scores[j] - scores[i][j]));
                worst = Math.Max(worst, Math.Abs(expected[i].Logits[j] - logits[i][j]));
            }
        }
        output.WriteLine($"{name}: {pairs.Length} pairs, {model.NumLabels} labels, {model.Activation}, max |diff| {worst:E2}");
        Assert.True(worst <= Tolerance, $"max |diff| {worst}");
    }

    [Fact]
    public void TheFolderDecidesTheActivationLabelsAndLength()
    {
        var bert = CrossEncoder.Load(TestPaths.FixtureModel("ce-bert"));
        Assert.Equal((1, ScoreActivation.Sigmoid, 40), (bert.NumLabels, bert.Activation, bert.MaxLength));
        var xlmr = CrossEncoder.Load(TestPaths.FixtureModel("ce-xlmr"));
        Assert.Equal((3, ScoreActivation.Identity, 48), (xlmr.NumLabels, xlmr.Activation, xlmr.MaxLength)); // no key: Identity for 3 labels
        Assert.Equal(["contradiction", "entailment", "neutral"], xlmr.Config.Labels);
        var modern = CrossEncoder.Load(TestPaths.FixtureModel("ce-modernbert"));
        Assert.Equal((1, ScoreActivation.Identity, 60), (modern.NumLabels, modern.Activation, modern.MaxLength));
        var qwen = CrossEncoder.Load(TestPaths.FixtureModel("ce-qwen3"));
        Assert.Equal((1, ScoreActivation.Sigmoid, 48), (qwen.NumLabels, qwen.Activation, qwen.MaxLength));
        Assert.Equal(Skald.Models.Architectures.SequenceClassificationHead.HeadLayout.Decoder, qwen.Head.Layout);
        var distil = CrossEncoder.Load(TestPaths.FixtureModel("ce-distilbert"));
        Assert.Equal((2, ScoreActivation.Identity, 32), (distil.NumLabels, distil.Activation, distil.MaxLength));
        Assert.Equal(Skald.Models.Architectures.SequenceClassificationHead.HeadLayout.DistilBert, distil.Head.Layout);
        var gte = CrossEncoder.Load(TestPaths.FixtureModel("ce-gte")); // no activation key, one label: Sigmoid
        Assert.Equal((1, ScoreActivation.Sigmoid, 40), (gte.NumLabels, gte.Activation, gte.MaxLength));
        Assert.IsType<Skald.Models.Architectures.Gte>(gte.Transformer);
        Assert.Equal(Skald.Models.Architectures.SequenceClassificationHead.HeadLayout.Bert, gte.Head.Layout); // NewPooler is BERT's
    }

    [Fact]
    public void OlderFoldersNameTheActivationAtTheTopAndOneLabelDefaultsToSigmoid()
    {
        using var dir = new TempCopy("ce-bert");
        var config = Path.Combine(dir.Path, "config.json");
        string json = File.ReadAllText(config);
        File.WriteAllText(config, json.Replace("\"sentence_transformers\"", "\"sbert_ce_default_activation_function\": \"torch.nn.modules.linear.Identity\", \"unused\"", StringComparison.Ordinal));
        Assert.Equal(ScoreActivation.Identity, CrossEncoder.Load(dir.Path).Activation);
        File.WriteAllText(config, json.Replace("\"sentence_transformers\"", "\"unused\"", StringComparison.Ordinal));
        Assert.Equal(ScoreActivation.Sigmoid, CrossEncoder.Load(dir.Path).Activation);
        File.WriteAllText(config, json.Replace("torch.nn.modules.activation.Sigmoid", "torch.nn.modules.activation.Softsign", StringComparison.Ordinal));
        var e = Assert.Throws<ModelFormatException>(() => CrossEncoder.Load(dir.Path));
        Assert.Contains("sentence_transformers.activation_fn", e.Message, StringComparison.Ordinal);
        Assert.Contains("Softsign", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RankOrdersByScoreKeepsTiesInOrderAndCutsAtTopK()
    {
        var model = CrossEncoder.Load(TestPaths.FixtureModel("ce-bert"));
        var expected = Read("ce-bert");
        string query = expected[0].Query;
        var docs = expected.Where(e => e.Query == query).Select(e => e.Document).ToList();
        docs.Add(docs[1]); // the same document twice: equal scores, the earlier first
        var scores = model.Score(docs.Select(d => (query, d)).ToArray());
        var ranked = model.Rank(query, docs);
        Assert.Equal(docs.Count, ranked.Count);
        var order = Enumerable.Range(0, docs.Count).OrderByDescending(i => scores[i]).ToArray(); // stable
        Assert.Equal(order, ranked.Select(r => r.Index).ToArray());
        Assert.True(ranked.Select(r => r.Index).ToList().IndexOf(1) < ranked.Select(r => r.Index).ToList().IndexOf(docs.Count - 1));
        for (int i = 0; i < ranked.Count; i++) Assert.Equal(scores[ranked[i].Index], ranked[i].Score);
        Assert.Equal(ranked.Take(2), model.Rank(query, docs, topK: 2));
    }

    [Fact]
    public void SoftmaxIsOverTheLabelsAfterTheActivation()
    {
        var model = CrossEncoder.Load(TestPaths.FixtureModel("ce-xlmr"));
        var e = Read("ce-xlmr")[3];
        var p = model.Predict([(e.Query, e.Document)], new CrossEncoderOptions { ApplySoftmax = true })[0];
        double max = e.Logits.Max(), sum = e.Logits.Sum(l => Math.Exp(l - max));
        for (int j = 0; j < 3; j++) Assert.Equal(Math.Exp(e.Logits[j] - max) / sum, p[j], 1e-5);
        Assert.Throws<InvalidOperationException>(() => model.Rank(e.Query, [e.Document]));
    }

    [Fact]
    public void ACausalLmRerankerReadsYesAgainstNoAtTheLastTokenOfItsPrompt()
    {
        var lines = File.ReadAllLines(Path.Combine(TestPaths.FixtureModel("ce-qwen3"), "expected_causal_lm.jsonl"));
        using var meta = JsonDocument.Parse(lines[0]);
        string M(string k) => meta.RootElement.GetProperty(k).GetString()!;
        var prompt = new PromptedPairs(M("prefix"), M("body"), M("suffix"), M("instruction"));
        var model = CrossEncoder.FromCausalLm(TestPaths.FixtureModel("decoder-qwen3"), M("yes"), M("no"), prompt);
        var rows = lines.Skip(1).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var pairs = rows.Select(r => (r.GetProperty("query").GetString()!, r.GetProperty("document").GetString()!)).ToArray();
        var encodings = model.Tokenize(pairs);
        for (int i = 0; i < pairs.Length; i++) Assert.Equal(rows[i].GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()), encodings[i].Ids);
        var scores = model.Score(pairs, new CrossEncoderOptions { BatchSize = 5 });
        var logits = model.Predict(pairs, new CrossEncoderOptions { Activation = ScoreActivation.Identity });
        double worst = 0;
        for (int i = 0; i < pairs.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(rows[i].GetProperty("score").GetSingle() - scores[i]));
            worst = Math.Max(worst, Math.Abs(rows[i].GetProperty("logit").GetSingle() - logits[i][0]));
        }
        output.WriteLine($"causal-LM reranker: {pairs.Length} pairs, max |diff| {worst:E2}");
        Assert.True(worst <= Tolerance, $"max |diff| {worst}");
        Assert.Equal("<Instruct>: Given a web search query, retrieve relevant passages that answer the query\n<Query>: q\n<Document>: d",
            PromptedPairs.Qwen3Reranker.Format("q", "d"));
        Assert.Contains("no token \"ja\"", Assert.Throws<ModelFormatException>(() => CrossEncoder.FromCausalLm(TestPaths.FixtureModel("decoder-qwen3"), "ja", "n")).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void AnEmbeddingModelOrAHeadlessCheckpointIsRefusedInOneLine()
    {
        var st = Assert.Throws<ModelFormatException>(() => CrossEncoder.Load(TestPaths.FixtureModel("bert-cased-mean")));
        Assert.Contains("not a cross-encoder", st.Message, StringComparison.Ordinal);
        var plain = Assert.Throws<ModelFormatException>(() => CrossEncoder.Load(TestPaths.FixtureModel("plain-bert")));
        Assert.Contains("classifier.weight", plain.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', plain.Message);
    }

    [Theory]
    [MemberData(nameof(Folders))]
    public void PackedOnlyScoresAreBitForBitAndInt8ScoresStayClose(string name)
    {
        var pairs = Read(name).Select(e => (e.Query, e.Document)).ToArray();
        var identity = new CrossEncoderOptions { Activation = ScoreActivation.Identity };
        var reference = CrossEncoder.Load(TestPaths.FixtureModel(name)).Predict(pairs, identity);
        var packed = CrossEncoder.Load(TestPaths.FixtureModel(name));
        Assert.True(packed.KeepPackedOnly() > 0);
        Assert.Equal(reference, packed.Predict(pairs, identity));
        var int8 = CrossEncoder.Load(TestPaths.FixtureModel(name));
        if (int8.KeepInt8Only() == 0)
        {
            output.WriteLine("no int8 kernel on this CPU: float32");
            return;
        }
        Assert.True(int8.IsInt8Only);
        var q = int8.Predict(pairs, identity);
        var all = reference.SelectMany(r => r).ToArray();
        double spread = Math.Sqrt(all.Select(x => (x - all.Average()) * (x - all.Average())).Average());
        double worst = reference.Zip(q).SelectMany(t => t.First.Zip(t.Second, (a, b) => Math.Abs(a - b))).Max();
        // Rank agreement per label over all pairs (what a reranker's user sees), and no logit far off.
        double rho = Enumerable.Range(0, reference[0].Length).Min(j => Spearman([.. reference.Select(r => (double)r[j])], [.. q.Select(r => (double)r[j])]));
        output.WriteLine($"{name}: int8 logits within {worst:E2} (spread of the logits {spread:E2}), Spearman {rho:F4}");
        Assert.True(rho >= 0.97, $"int8 scores rank the pairs with Spearman {rho:F4}");
        Assert.True(worst <= 0.2 * spread, $"int8 moves a logit by {worst:E2}, the logits spread {spread:E2}");
    }

    private static double Spearman(double[] a, double[] b)
    {
        static double[] Ranks(double[] v)
        {
            var order = Enumerable.Range(0, v.Length).OrderBy(i => v[i]).ToArray();
            var r = new double[v.Length];
            for (int i = 0; i < order.Length; i++) r[order[i]] = i;
            return r;
        }
        double[] ra = Ranks(a), rb = Ranks(b);
        double ma = ra.Average(), mb = rb.Average();
        double cov = ra.Zip(rb, (x, y) => (x - ma) * (y - mb)).Sum();
        return cov / Math.Sqrt(ra.Sum(x => (x - ma) * (x - ma)) * rb.Sum(y => (y - mb) * (y - mb)));
    }

    /// <summary>A fixture folder copied to a temporary directory, deleted on dispose.</summary>
    private sealed class TempCopy : IDisposable
    {
        public TempCopy(string fixture)
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "skald-ce-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
            foreach (var f in Directory.GetFiles(TestPaths.FixtureModel(fixture)))
                File.Copy(f, System.IO.Path.Combine(Path, System.IO.Path.GetFileName(f)));
        }

        public string Path { get; }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
