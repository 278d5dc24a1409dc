using System.Text.Json;
using System.Text.Json.Nodes;
using Skald.Models;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Training.Config;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Modeling;

/// <summary>
/// Training GTE's NewModel: one MultipleNegativesRankingLoss step on the tiny gte-multilingual-base-like folder and on
/// the variants folder (mixed NTK, RMSNorm, unpacked q/k/v, token types) and the logn_attention_scale folder (each
/// sequence's queries times ln(L)/ln(16)) against PyTorch autograd through ref_gte.py
/// (fixtures/models/make_gte.py → fixtures/training/gte_step.json): the loss and every parameter's gradient within
/// 1e-5 (relative where it exceeds 1), with and without gradient checkpointing; and a short trainer run whose saved
/// folder keeps new-impl's auto_map and reloads with the embeddings the trainer had.
/// </summary>
public sealed class GteTrainingTests
{
    private static readonly string Root = Skald.Tests.Repository.Root;
    private static readonly string[] Texts = ["Hvor ligger legekontoret?", "Legekontoret ligger i sentrum.", "Det regner i Bergen."];

    private readonly string dir = InfraPaths.NewTempDir();

    private static TokenBatch Pad(IReadOnlyList<int[]> rows)
    {
        int seq = rows.Max(r => r.Length);
        var ids = new int[rows.Count * seq];
        var mask = new int[rows.Count * seq];
        for (int b = 0; b < rows.Count; b++)
        {
            Array.Fill(ids, 1, b * seq, seq); // pad_token_id
            rows[b].CopyTo(ids, b * seq);
            for (int t = 0; t < rows[b].Length; t++) mask[b * seq + t] = 1;
        }
        return new TokenBatch(ids, mask, new int[ids.Length], rows.Count, seq);
    }

    /// <summary><paramref name="name"/> as a sentence-transformers folder with CLS pooling (the variants folder is a bare NewModel).</summary>
    private string StFolder(string name)
    {
        string source = InfraPaths.FixtureModel(name);
        if (File.Exists(Path.Combine(source, "modules.json"))) return source;
        string folder = Skald.Tests.TestPaths.CopyFolder(source, Path.Combine(dir, name));
        File.WriteAllText(Path.Combine(folder, "modules.json"), """
            [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
             {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
            """);
        Directory.CreateDirectory(Path.Combine(folder, "1_Pooling"));
        File.WriteAllText(Path.Combine(folder, "1_Pooling", "config.json"), """{"word_embedding_dimension": 32, "pooling_mode_cls_token": true}""");
        File.Copy(Path.Combine(InfraPaths.FixtureModel("gte-multilingual-tiny"), "tokenizer.json"), Path.Combine(folder, "tokenizer.json"));
        return folder;
    }

    [Theory]
    [InlineData("gte-multilingual-tiny", false)]
    [InlineData("gte-multilingual-tiny", true)]
    [InlineData("gte-variants-tiny", false)]
    [InlineData("gte-logn-tiny", false)]
    [InlineData("gte-logn-tiny", true)]
    public void LossAndGradientsEqualPyTorch(string name, bool checkpointing)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "fixtures", "training", "gte_step.json")));
        var r = doc.RootElement.GetProperty(name);
        var model = TrainableEncoder.Load(StFolder(name), dropout: 0f);
        Assert.IsType<Gte>(model.Model.Transformer);
        var pairs = r.GetProperty("pairs").EnumerateArray()
            .Select(p => p.EnumerateArray().Select(s => s.EnumerateArray().Select(i => i.GetInt32()).ToArray()).ToArray()).ToArray();
        model.ZeroGradients();
        var tape = new Tensors.Autograd.Tape { Checkpointing = checkpointing };
        var anchors = model.Model.Forward(tape, Pad([.. pairs.Select(x => x[0])]), normalize: true);
        var positives = model.Model.Forward(tape, Pad([.. pairs.Select(x => x[1])]), normalize: true);
        var columns = new[]
        {
            new EmbeddingBatch(anchors.Span.ToArray(), pairs.Length, anchors.Cols),
            new EmbeddingBatch(positives.Span.ToArray(), pairs.Length, positives.Cols),
        };
        var grads = columns.Select(c => new EmbeddingBatch(c.Rows, c.Dim)).ToArray();
        float loss = new MultipleNegativesRankingLoss(r.GetProperty("scale").GetSingle()).Compute(columns, null, grads);
        float expectedLoss = r.GetProperty("loss").GetSingle();
        Assert.True(Math.Abs(loss - expectedLoss) <= 1e-5f, $"loss {loss}, PyTorch {expectedLoss}");
        tape.Seed(anchors, grads[0].Data);
        tape.Seed(positives, grads[1].Data);
        tape.Backward();

        var byName = model.Parameters.ToDictionary(p => p.Name);
        var misses = new List<string>();
        int checkedParameters = 0;
        foreach (var g in r.GetProperty("gradients").EnumerateObject())
        {
            var actual = byName[g.Name].Grad.Span;
            var head = g.Value.GetProperty("head").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            for (int i = 0; i < head.Length; i++)
            {
                double err = Math.Abs(head[i] - actual[i]) / Math.Max(1, Math.Abs(head[i]));
                if (!(err <= 1e-5)) misses.Add($"{g.Name}[{i}]: expected {head[i]}, got {actual[i]} ({err:E2})");
            }
            double ss = 0;
            foreach (float x in actual) ss += (double)x * x;
            double expectedSs = g.Value.GetProperty("sum_squares").GetDouble();
            double normErr = Math.Abs(Math.Sqrt(ss) - Math.Sqrt(expectedSs)) / Math.Max(1, Math.Sqrt(expectedSs));
            if (!(normErr <= 1e-5)) misses.Add($"{g.Name}: |grad| {Math.Sqrt(ss)}, PyTorch {Math.Sqrt(expectedSs)} ({normErr:E2})");
            checkedParameters++;
        }
        Assert.True(misses.Count == 0, string.Join("\n", misses));
        Assert.Equal(byName.Count, checkedParameters);
    }

    [Fact]
    public void MnrlRunSavesAFolderThatKeepsAutoMapAndReloadsWithTheTrainedEmbeddings()
    {
        string source = InfraPaths.FixtureModel("gte-multilingual-tiny");
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", string.Concat(Enumerable.Range(0, 24).Select(i =>
            $"{{\"anchor\": \"Hvor ligger hus {i}?\", \"positive\": \"Huset {i} ligger i sentrum av byen, like ved kaia.\"}}\n")));
        var config = ConfigLoader.Parse($"""
            model:
              path: {source}
              dropout: 0.1
            data:
              train: {data}
            training:
              batch_size: 8
              max_steps: 3
              learning_rate: 1.0e-3
              logging_steps: 1
            output:
              dir: {Path.Combine(dir, "run")}
              save_steps: 0
              tensorboard: false
            """, "t.yaml");
        var setup = TrainingRun.Build(config);
        Assert.IsType<Gte>(Assert.IsType<TrainableEncoder>(setup.Model).Model.Transformer);
        var result = new SentenceTrainer(setup).Run();
        Assert.Equal(3, result.Steps);
        string saved = result.ModelPath;
        var before = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "config.json")))!;
        var after = JsonNode.Parse(File.ReadAllText(Path.Combine(saved, "config.json")))!;
        Assert.True(JsonNode.DeepEquals(before["auto_map"], after["auto_map"]));
        Assert.True(JsonNode.DeepEquals(before["rope_scaling"], after["rope_scaling"]));
        using (var original = Checkpoint.OpenFolder(source))
        using (var written = Checkpoint.OpenFolder(saved))
        {
            Assert.Equal(original.Keys.Order(StringComparer.Ordinal), written.Keys.Order(StringComparer.Ordinal));
            Assert.NotEqual(original.Read("encoder.layer.1.attention.qkv_proj.weight", 96, 32),
                written.Read("encoder.layer.1.attention.qkv_proj.weight", 96, 32)); // trained
        }
        var reloaded = SentenceEncoder.Load(saved);
        Assert.IsType<Gte>(reloaded.Transformer);
        var trained = setup.Model.Encode(Texts);
        var again = reloaded.Encode(Texts);
        for (int i = 0; i < Texts.Length; i++)
            for (int k = 0; k < trained[i].Length; k++)
                Assert.True(MathF.Abs(trained[i][k] - again[i][k]) <= 2e-5f, $"text {i} component {k}: {trained[i][k]} vs {again[i][k]}");
        Assert.NotEqual(SentenceEncoder.Load(source).Encode(Texts)[0], again[0]);
    }
}
