using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Models.Modules;
using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;
using Xunit.Abstractions;

namespace Skald.Models.Tests.Sparse;

/// <summary>
/// Sparse encoders (sentence-transformers' SparseEncoder: MLMTransformer → SpladePooling) against the PyTorch
/// reference of fixtures/models/make_splade.py (BertForMaskedLM's head over the plain-PyTorch BERT, SpladePooling in
/// double): every pooling strategy and activation, the head's logits alone, the folder's metadata.
/// </summary>
public sealed class SparseEncoderParityTests(ITestOutputHelper output)
{
    private static string Folder => TestPaths.FixtureModel("splade-bert-tiny");

    private sealed record Expected(string Text, int[] Ids, int[] Indices, float[] Values);

    private static List<Expected> Read(string file) =>
        [.. File.ReadLines(file).Where(l => l.Length > 0).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            var r = doc.RootElement;
            return new Expected(r.GetProperty("text").GetString()!, Ints(r.GetProperty("ids")), Ints(r.GetProperty("indices")),
                [.. r.GetProperty("values").EnumerateArray().Select(x => x.GetSingle())]);
        })];

    private static int[] Ints(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetInt32())];

    [Theory]
    [InlineData("max", "relu")]
    [InlineData("max", "log1p_relu")]
    [InlineData("sum", "relu")]
    [InlineData("sum", "log1p_relu")]
    public void SparseEmbeddingsMatchPyTorchReference(string strategy, string activation)
    {
        using var copy = new TempFolderCopy(Folder);
        File.WriteAllText(Path.Combine(copy.Path, "1_SpladePooling", "config.json"),
            $"{{\"pooling_strategy\": \"{strategy}\", \"activation_function\": \"{activation}\", \"word_embedding_dimension\": 800}}");
        var model = SentenceEncoder.Load(copy.Path);
        Assert.True(model.IsSparse);
        Assert.Equal(800, model.Dimension);
        Assert.Equal(SimilarityFunction.Dot, model.SimilarityFunction);
        var expected = Read(Path.Combine(Folder, $"expected_{strategy}_{activation}.jsonl"));
        var texts = expected.Select(e => e.Text).ToList();
        var encodings = model.Tokenize(texts);
        for (int i = 0; i < texts.Count; i++) Assert.Equal(expected[i].Ids, encodings[i].Ids);

        var sparse = model.EncodeSparse(texts, new EncodeOptions { BatchSize = 8 });
        float worst = 0;
        for (int i = 0; i < texts.Count; i++)
        {
            // Entries near 0 may fall either side in float32: compare dense vectors, and the supports where clear.
            var want = new float[800];
            for (int j = 0; j < expected[i].Indices.Length; j++) want[expected[i].Indices[j]] = expected[i].Values[j];
            var got = new float[800];
            for (int j = 0; j < sparse[i].Count; j++) got[sparse[i].Indices[j]] = sparse[i].Values[j];
            for (int v = 0; v < 800; v++)
            {
                worst = Math.Max(worst, Math.Abs(want[v] - got[v]));
                // 1e-5, relative past 1 (a sum over 60 tokens reaches 30)
                Assert.True(Math.Abs(want[v] - got[v]) <= 1e-5f * Math.Max(1f, want[v]), $"text {i}, id {v}: {got[v]} vs {want[v]}");
            }
            Assert.True(sparse[i].Count > 20 && sparse[i].Count < 200, $"text {i}: {sparse[i].Count} active");
        }
        output.WriteLine($"{strategy}/{activation}: {texts.Count} texts, max |diff| {worst:E2}, mean active {sparse.Average(s => s.Count):F1}");
        // Padding changes nothing: one at a time equals batched.
        var single = model.Encode(texts, new EncodeOptions { BatchSize = 1 });
        var batched = model.Encode(texts, new EncodeOptions { BatchSize = 16 });
        for (int i = 0; i < texts.Count; i++)
        {
            for (int v = 0; v < 800; v++) Assert.Equal(single[i][v], batched[i][v], 2e-6f);
        }
    }

    /// <summary>
    /// NorBERT3 (fixtures/models/make_splade_norbert.py): NorbertForMaskedLM's head, whose logits of ids 0..106 are −∞
    /// (those entries stay 0), under SpladePooling, against the plain-PyTorch NorBERT3 in every variant.
    /// </summary>
    [Fact]
    public void NorbertSparseEmbeddingsMatchPyTorchReference()
    {
        var lines = File.ReadLines(Path.Combine(TestPaths.FixtureModel("norbert3-tiny"), "expected_splade.jsonl"))
            .Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        foreach (var group in lines.GroupBy(l => (l.GetProperty("strategy").GetString()!, l.GetProperty("activation").GetString()!)))
        {
            using var copy = new TempFolderCopy(TestPaths.FixtureModel("norbert3-tiny"));
            File.WriteAllText(Path.Combine(copy.Path, "modules.json"),
                "[{\"idx\":0,\"name\":\"0\",\"path\":\"\",\"type\":\"sentence_transformers.sparse_encoder.models.MLMTransformer\"}," +
                "{\"idx\":1,\"name\":\"1\",\"path\":\"1_SpladePooling\",\"type\":\"sentence_transformers.sparse_encoder.models.SpladePooling\"}]");
            Directory.CreateDirectory(Path.Combine(copy.Path, "1_SpladePooling"));
            File.WriteAllText(Path.Combine(copy.Path, "1_SpladePooling", "config.json"),
                $"{{\"pooling_strategy\": \"{group.Key.Item1}\", \"activation_function\": \"{group.Key.Item2}\"}}");
            var model = SentenceEncoder.Load(copy.Path);
            Assert.Equal(107, model.SpladeHead!.ExcludedIds);
            var texts = group.Select(l => l.GetProperty("text").GetString()!).ToList();
            var encodings = model.Tokenize(texts);
            var got = model.Encode(texts, new EncodeOptions { BatchSize = 3 }); // padded together: padding changes nothing
            int i = 0;
            foreach (var line in group)
            {
                Assert.Equal(Ints(line.GetProperty("ids")), encodings[i].Ids);
                var want = new float[800];
                var idx = Ints(line.GetProperty("indices"));
                var val = line.GetProperty("values").EnumerateArray().Select(x => x.GetSingle()).ToArray();
                for (int j = 0; j < idx.Length; j++) want[idx[j]] = val[j];
                for (int v = 0; v < 800; v++)
                    Assert.True(Math.Abs(want[v] - got[i][v]) <= 1e-5f * Math.Max(1f, want[v]), $"{group.Key} text {i}, id {v}: {got[i][v]} vs {want[v]}");
                Assert.All(got[i][..107], x => Assert.Equal(0f, x));
                i++;
            }
            output.WriteLine($"NorBERT3 {group.Key}: {texts.Count} texts match");
        }
    }

    [Fact]
    public void TheHeadsLogitsMatchBertForMaskedLm()
    {
        var model = SentenceEncoder.Load(Folder);
        var head = model.SpladeHead!;
        using var doc = JsonDocument.Parse(File.ReadLines(Path.Combine(Folder, "expected_logits.jsonl")).First());
        int[] ids = Ints(doc.RootElement.GetProperty("ids"));
        var want = doc.RootElement.GetProperty("logits").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray();
        var encoding = model.Tokenize([File.ReadLines(Path.Combine(Folder, "expected_max_relu.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!).First()])[0];
        Assert.Equal(ids, encoding.Ids);
        var tokens = TokenBatch.Pad([encoding], model.PadId);
        var hidden = new float[ids.Length * 32];
        model.TokenStates(tokens, hidden);
        var tape = new Tape(recording: false);
        var logits = Ops.Linear(tape, head.Transform(tape, tape.Constant(hidden, ids.Length, 32)), head.Decoder, head.DecoderBias);
        for (int t = 0; t < ids.Length; t++)
        {
            for (int v = 0; v < 800; v++) Assert.Equal(want[t][v], logits.Span[t * 800 + v], 1e-5f);
        }
    }

    [Fact]
    public void MaxActiveDimsKeepsTheLargestAndTheDotProductIsTheDenseOne()
    {
        var model = SentenceEncoder.Load(Folder);
        string[] texts = ["Hei verden", "Hallo verda, korleis går det?"];
        var dense = model.Encode(texts);
        var sparse = model.EncodeSparse(texts);
        var top = model.EncodeSparse(texts, maxActiveDims: 10);
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(10, top[i].Count);
            float tenth = dense[i].OrderDescending().ElementAt(9);
            Assert.All(top[i].Values, v => Assert.True(v >= tenth));
            Assert.True(top[i].Indices.SequenceEqual(top[i].Indices.Order()));
        }
        double denseDot = dense[0].Zip(dense[1], (a, b) => (double)a * b).Sum();
        Assert.Equal(denseDot, SparseEmbedding.Dot(sparse[0], sparse[1]), 4);
        Assert.Equal(model.Similarity(dense[0], dense[1]), SparseEmbedding.Dot(sparse[0], sparse[1]), 4);
    }

    [Fact]
    public void AFolderWithoutTheHeadOrWithABadPoolingConfigIsOneClearError()
    {
        var gptBert = Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(TestPaths.FixtureModel("norbert4-tiny")).AsSparse(new SpladeConfig()));
        Assert.Contains("GptBertForMaskedLM is not there yet: its logits are soft-capped", gptBert.Message);
        using var copy = new TempFolderCopy(Folder);
        string pooling = Path.Combine(copy.Path, "1_SpladePooling", "config.json");
        File.WriteAllText(pooling, "{\"pooling_strategy\": \"mean\"}");
        var e = Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(copy.Path));
        Assert.Contains("pooling_strategy must be \"max\" or \"sum\"", e.Message);
        File.WriteAllText(pooling, "{\"word_embedding_dimension\": 900}");
        e = Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(copy.Path));
        Assert.Contains("word_embedding_dimension 900 differs from the vocabulary size 800", e.Message);

        // bert-cased-mean holds no masked-LM head: as a SparseEncoder folder it is refused for encoding.
        using var plain = new TempFolderCopy(TestPaths.FixtureModel("bert-cased-mean"));
        File.WriteAllText(Path.Combine(plain.Path, "modules.json"),
            "[{\"idx\":0,\"name\":\"0\",\"path\":\"\",\"type\":\"sentence_transformers.sparse_encoder.models.MLMTransformer\"}," +
            "{\"idx\":1,\"name\":\"1\",\"path\":\"1_SpladePooling\",\"type\":\"sentence_transformers.sparse_encoder.models.SpladePooling\"}]");
        e = Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(plain.Path));
        Assert.Contains("has no masked-LM head", e.Message);
        File.WriteAllText(Path.Combine(plain.Path, "modules.json"),
            "[{\"idx\":0,\"name\":\"0\",\"path\":\"\",\"type\":\"sentence_transformers.sparse_encoder.models.MLMTransformer\"}]");
        e = Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(plain.Path));
        Assert.Contains("needs a SpladePooling module", e.Message);

        // As a model to train, a plain checkpoint gets a new head (transformers' initialisation).
        var sparse = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean")).AsSparse(new SpladeConfig());
        Assert.False(sparse.SpladeHead!.FromCheckpoint);
        Assert.Equal(800, sparse.Encode("Hei").Length);
    }
}
