using System.Text.Json;
using Skald.Models.Checkpoints;
using Skald.Models.CrossEncoders;
using Skald.Tensors;
using Skald.Training.CrossEncoders;
using Skald.Training.Modeling;
using Skald.Training.Optim;
using Xunit.Abstractions;

namespace Skald.Training.Tests.CrossEncoders;

/// <summary>
/// Training a cross-encoder against torch autograd (fixtures/training/make_cross_encoder_reference.py: the ce-bert
/// fixture, BCE with logits with and without pos_weight, 3 AdamW steps with HF's no-decay groups, clip 1.0, dropout
/// off): per-step loss and gradient norm within 1e-4 relative, every final weight (encoder, pooler, classifier) within
/// 1e-4; and the saved folder loads as a <see cref="CrossEncoder"/> giving the trained model's scores.
/// </summary>
public sealed partial class CrossEncoderTrainingTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("plain")]
    [InlineData("pos_weight")]
    public void ThreeStepsMatchPyTorch(string name) => RunReference(name,
        (model, run) => new BinaryCrossEntropyLoss(model, run.GetProperty("pos_weight").ValueKind == JsonValueKind.Number ? run.GetProperty("pos_weight").GetSingle() : 1f),
        (model, loss, step) =>
        {
            var pairs = step.GetProperty("pairs").EnumerateArray().Select(p => (p[0].GetString()!, p[1].GetString()!)).ToArray();
            string[] queries = [.. pairs.Select(p => p.Item1)], docs = [.. pairs.Select(p => p.Item2)];
            var encodings = loss.Tokenize(model, queries, docs);
            var ids = step.GetProperty("ids").EnumerateArray().ToArray();
            var types = step.GetProperty("type_ids").EnumerateArray().ToArray();
            for (int i = 0; i < pairs.Length; i++)
            {
                Assert.Equal(ids[i].EnumerateArray().Select(x => x.GetInt32()), encodings[i].Ids);
                Assert.Equal(types[i].EnumerateArray().Select(x => x.GetInt32()), encodings[i].TypeIds);
            }
            return new TrainingBatch([queries, docs], [.. step.GetProperty("labels").EnumerateArray().Select(x => x.GetSingle())]);
        });

    [Fact]
    public void CrossEntropyOverThreeLabelsMatchesPyTorch() => RunReference("cross_entropy",
        (model, run) => new CrossEncoderCrossEntropyLoss(model, run.GetProperty("num_labels").GetInt32()),
        (model, loss, step) =>
        {
            Assert.Equal(3, loss.Head.NumLabels);
            var pairs = step.GetProperty("pairs").EnumerateArray().Select(p => (p[0].GetString()!, p[1].GetString()!)).ToArray();
            return new TrainingBatch([[.. pairs.Select(p => p.Item1)], [.. pairs.Select(p => p.Item2)]],
                [.. step.GetProperty("labels").EnumerateArray().Select(x => (float)x.GetInt32())]);
        });

    [Fact]
    public void MultiLabelBinaryCrossEntropyMatchesPyTorch() => RunReference("multi_label",
        (model, run) => new BinaryCrossEntropyLoss(model, numLabels: run.GetProperty("num_labels").GetInt32()),
        (model, loss, step) =>
        {
            Assert.Equal(3, loss.Head.NumLabels);
            Assert.Equal(Skald.Models.CrossEncoders.ScoreActivation.Sigmoid, loss.Activation); // each label a yes/no of its own
            var pairs = step.GetProperty("pairs").EnumerateArray().Select(p => (p[0].GetString()!, p[1].GetString()!)).ToArray();
            return new TrainingBatch([[.. pairs.Select(p => p.Item1)], [.. pairs.Select(p => p.Item2)]],
                [.. step.GetProperty("labels").EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(x => x.GetSingle())]); // flat, row by row
        });

    [Theory]
    [InlineData("mnrl_hard")]
    [InlineData("mnrl_all")]
    public void MultipleNegativesRankingMatchesPyTorch(string name) => RunReference(name,
        (model, run) => new CrossEncoderMnrlLoss(model, run.GetProperty("num_negatives").ValueKind == JsonValueKind.Number ? run.GetProperty("num_negatives").GetInt32() : null),
        (_, _, step) =>
        {
            var rows = step.GetProperty("rows").EnumerateArray().Select(x => x.EnumerateArray().Select(t => t.GetString()!).ToArray()).ToArray();
            return new TrainingBatch([.. Enumerable.Range(0, 3).Select(c => (IReadOnlyList<string>)[.. rows.Select(x => x[c])])]);
        });

    /// <summary>
    /// The reference run <paramref name="name"/>: the loss <paramref name="create"/> makes over ce-bert, each step's batch
    /// from <paramref name="batch"/>, AdamW with the file's settings; losses, gradient norms and final weights compared.
    /// </summary>
    private void RunReference(string name, Func<TrainableEncoder, JsonElement, CrossEncoderLoss> create,
        Func<TrainableEncoder, CrossEncoderLoss, JsonElement, TrainingBatch> batch, string reference = "cross_encoder", bool shiftInvariant = false)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(CorePaths.TrainingFixture($"{reference}.json")));
        var r = doc.RootElement;
        var run = r.GetProperty("runs").EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);
        string folder = run.TryGetProperty("model", out var m) ? Path.Combine(CorePaths.RepoRoot, m.GetString()!) : CorePaths.FixtureModel("ce-bert");
        var model = TrainableEncoder.Load(folder, dropout: 0f);
        var loss = create(model, run);
        var parameters = model.Parameters.Concat(loss.Parameters).ToList();
        var opt = new AdamW(parameters, weightDecay: r.GetProperty("weight_decay").GetSingle());
        float lr = r.GetProperty("lr").GetSingle(), clip = r.GetProperty("clip").GetSingle();
        double worstLoss = 0, worstNorm = 0;
        foreach (var step in run.GetProperty("steps").EnumerateArray())
        {
            var b = batch(model, loss, step);
            model.ZeroGradients();
            foreach (var p in loss.Parameters) p.Grad.Span.Clear();
            float value = loss.ComputeAndBackward(model, b);
            float norm = GradientClipping.ClipGlobalNorm(parameters, clip);
            opt.Step(lr);
            double expLoss = step.GetProperty("loss").GetDouble(), expNorm = step.GetProperty("grad_norm").GetDouble();
            worstLoss = Math.Max(worstLoss, Math.Abs(value - expLoss) / Math.Abs(expLoss));
            worstNorm = Math.Max(worstNorm, Math.Abs(norm - expNorm) / expNorm);
            output.WriteLine($"{name}: loss {value:F6} (torch {expLoss:F6}), grad norm {norm:F4} (torch {expNorm:F4})");
        }
        AssertFinalWeights($"{reference}_{name}", parameters, lr, worstLoss, worstNorm, shiftInvariant);
    }

    [Theory]
    [InlineData(5, 3, 2)]
    [InlineData(4, 2, 7)]
    [InlineData(3, 1, 9)]
    public void InBatchNegativesAreOthersCandidatesDrawnWithoutReplacement(int batch, int columns, int k)
    {
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("ce-bert"), dropout: 0f);
        var loss = new CrossEncoderMnrlLoss(model, k);
        int total = batch * columns, available = total - columns;
        var seen = new HashSet<int>();
        for (int round = 0; round < 50; round++)
        {
            var drawn = loss.InBatchNegatives(batch, columns);
            for (int i = 0; i < batch; i++)
            {
                Assert.Equal(k >= total ? available : Math.Min(k, available), drawn[i].Length);
                Assert.Equal(drawn[i].Length, drawn[i].Distinct().Count());
                Assert.All(drawn[i], j => Assert.NotEqual(i, j % batch)); // never the anchor's own positive or hard negatives
                Assert.All(drawn[i], j => Assert.InRange(j, 0, total - 1));
                if (i == 0) seen.UnionWith(drawn[i]);
            }
        }
        Assert.Equal(available, seen.Count); // over many draws every other candidate comes up
    }

    private void AssertFinalWeights(string name, List<Parameter> parameters, float lr, double worstLoss, double worstNorm, bool shiftInvariant = false)
    {
        // As in TrainingParityTests: the attention key bias has no true gradient, only rounding noise that Adam scales up;
        // nor has the classifier's bias under a loss of logit differences (a list's loss unchanged when all its logits shift).
        double worstWeight = 0, worstKeyBias = 0;
        string worstKey = "";
        using (var final = Checkpoint.OpenFile(CorePaths.TrainingFixture($"{name}_final.safetensors")))
        {
            Assert.Equal(final.Keys.Order(StringComparer.Ordinal), parameters.Select(p => p.Name).Order(StringComparer.Ordinal));
            foreach (var p in parameters)
            {
                var expected = final.Read(p.Name, p.Shape);
                for (int i = 0; i < expected.Length; i++)
                {
                    double d = Math.Abs(expected[i] - p.Data.Span[i]);
                    if (p.Name.EndsWith("attention.self.key.bias", StringComparison.Ordinal) || (shiftInvariant && p.Name == "classifier.bias"))
                        worstKeyBias = Math.Max(worstKeyBias, d);
                    else if (d > worstWeight) (worstWeight, worstKey) = (d, $"{p.Name}[{i}]");
                }
            }
        }
        output.WriteLine($"{name}: worst relative loss {worstLoss:E2}, grad norm {worstNorm:E2}, weight {worstWeight:E2} at {worstKey} (key biases {worstKeyBias:E2})");
        Assert.True(worstLoss <= 1e-4, $"loss differs by {worstLoss:E2} relative");
        Assert.True(worstNorm <= 1e-4, $"gradient norm differs by {worstNorm:E2} relative");
        Assert.True(worstKeyBias <= 3 * lr, $"key biases differ by {worstKeyBias:E2}");
        Assert.True(worstWeight <= 1e-4, $"weights differ by {worstWeight:E2} at {worstKey}");
    }

    [Theory]
    [InlineData("bert-cased-mean", "BertForSequenceClassification", "bert.pooler.dense.weight", "classifier.weight")]
    [InlineData("decoder-qwen3", "Qwen3ForSequenceClassification", "model.layers.0.self_attn.q_proj.weight", "score.weight")]
    public void TheSavedFolderIsACrossEncoderWithTheTrainedScores(string source, string architecture, string encoderKey, string headKey)
    {
        var model = TrainableEncoder.Load(CorePaths.FixtureModel(source), dropout: 0f); // an embedding model or a decoder: a new head
        var loss = new BinaryCrossEntropyLoss(model, seed: 7);
        string[] queries = ["Hvor ligger Bergen?", "Kva tid går ferja?"], docs = ["Bergen ligger på Vestlandet.", "Biblioteket er stengt."];
        model.ZeroGradients();
        loss.ComputeAndBackward(model, new TrainingBatch([queries, docs], [1f, 0f]));
        new AdamW([.. model.Parameters, .. loss.Parameters]).Step(1e-3f);
        var logits = loss.Logits(model, queries, docs);

        string dir = Path.Combine(TestPaths.NewTempDir(), "reranker");
        model.Save(dir, "# card");
        Assert.False(File.Exists(Path.Combine(dir, "modules.json")));
        Assert.True(CrossEncoder.IsCrossEncoder(dir));
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "config.json"))).RootElement;
        Assert.Equal(architecture, config.GetProperty("architectures")[0].GetString());
        Assert.Equal("torch.nn.modules.activation.Sigmoid", config.GetProperty("sentence_transformers").GetProperty("activation_fn").GetString());
        using (var saved = Checkpoint.OpenFile(Path.Combine(dir, "model.safetensors")))
        {
            Assert.Contains(encoderKey, saved.Keys);
            Assert.Contains(headKey, saved.Keys);
        }
        var reranker = CrossEncoder.Load(dir);
        var scores = reranker.Score([.. queries.Zip(docs)]);
        for (int i = 0; i < 2; i++) Assert.Equal(1 / (1 + Math.Exp(-logits[i])), scores[i], 5);
    }
}
