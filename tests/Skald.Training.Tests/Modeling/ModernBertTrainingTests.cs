using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Training.Config;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Modeling;

/// <summary>
/// One full-parameter training step of a ModernBERT embedder against PyTorch autograd
/// (fixtures/training/make_modernbert_reference.py over fixtures/models/modernbert-st-mean): the loss and the gradient
/// of every parameter, within 1e-5.
/// </summary>
public sealed class ModernBertTrainingTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly string Root = Skald.Tests.Repository.Root;
    private static readonly string Folder = Path.Combine(Root, "fixtures", "models", "modernbert-st-mean");

    private static TokenBatch Pad(IReadOnlyList<int[]> rows)
    {
        int seq = rows.Max(r => r.Length);
        var ids = new int[rows.Count * seq];
        Array.Fill(ids, 1); // <pad>
        var mask = new int[rows.Count * seq];
        for (int b = 0; b < rows.Count; b++)
        {
            rows[b].CopyTo(ids, b * seq);
            for (int t = 0; t < rows[b].Length; t++) mask[b * seq + t] = 1;
        }
        return new TokenBatch(ids, mask, new int[ids.Length], rows.Count, seq);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LossAndEveryGradientEqualPyTorch(bool checkpointing)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "fixtures", "training", "modernbert.json")));
        var r = doc.RootElement;
        var rows = r.GetProperty("rows").EnumerateArray()
            .Select(row => row.EnumerateArray().Select(s => s.EnumerateArray().Select(i => i.GetInt32()).ToArray()).ToArray()).ToArray();
        var model = TrainableEncoder.Load(Folder, dropout: 0f);
        Assert.IsType<ModernBert>(model.Model.Transformer);
        model.GradientCheckpointing = checkpointing;
        model.ZeroGradients();
        var tape = new Tensors.Autograd.Tape { Checkpointing = checkpointing };
        var anchors = model.Model.Forward(tape, Pad([.. rows.Select(x => x[0])]));
        var positives = model.Model.Forward(tape, Pad([.. rows.Select(x => x[1])]));
        var expectedAnchors = r.GetProperty("anchor_embeddings").EnumerateArray().SelectMany(e => e.EnumerateArray().Select(x => x.GetSingle())).ToArray();
        for (int i = 0; i < expectedAnchors.Length; i++)
            Assert.True(Math.Abs(expectedAnchors[i] - anchors.Span[i]) <= 1e-5f, $"anchor embedding [{i}]: {expectedAnchors[i]} vs {anchors.Span[i]}");
        var columns = new[] { new EmbeddingBatch(anchors.Span.ToArray(), rows.Length, anchors.Cols), new EmbeddingBatch(positives.Span.ToArray(), rows.Length, positives.Cols) };
        var grads = columns.Select(c => new EmbeddingBatch(c.Rows, c.Dim)).ToArray();
        float loss = new MultipleNegativesRankingLoss(r.GetProperty("scale").GetSingle()).Compute(columns, null, grads);
        float expectedLoss = r.GetProperty("loss").GetSingle();
        Assert.True(Math.Abs(loss - expectedLoss) <= 1e-5f, $"loss {loss}, PyTorch {expectedLoss}");
        tape.Seed(anchors, grads[0].Data);
        tape.Seed(positives, grads[1].Data);
        tape.Backward();

        using var expected = SafeTensorsFile.Open(Path.Combine(Root, "fixtures", "training", "modernbert_grads.safetensors"));
        Assert.Equal(expected.Tensors.Keys.Order(), model.Parameters.Select(p => p.Name).Order());
        float worst = 0;
        foreach (var p in model.Parameters)
        {
            var e = expected.ReadFloat32(p.Name);
            var g = p.Grad.Span;
            for (int i = 0; i < e.Length; i++)
            {
                float d = Math.Abs(e[i] - g[i]);
                worst = Math.Max(worst, d);
                Assert.True(d <= 1e-5f, $"{p.Name}[{i}]: PyTorch {e[i]}, Skald {g[i]} (|diff| {d:E2})");
            }
        }
        tape.Reset();
        Assert.True(worst > 0); // really compared
        output.WriteLine($"loss |diff| {Math.Abs(loss - expectedLoss):E2}, worst gradient |diff| {worst:E2}");
    }

    [Fact]
    public void SkaldTrainFineTunesAModernBertEmbedderAndTheSavedFolderLoads()
    {
        string dir = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string data = Path.Combine(dir, "pairs.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 32).Select(i => $"{{\"anchor\": \"spørsmål {i} om toget til Bergen\", \"positive\": \"svar {i}: toget går klokka {i % 12}\"}}"));
        var config = ConfigLoader.Parse($"""
            model:
              path: {Folder}
              dropout: 0.1
            data:
              train: {data}
            training:
              batch_size: 8
              learning_rate: 1.0e-3
              max_steps: 4
              gradient_checkpointing: true
            output:
              dir: {Path.Combine(dir, "out")}
              save_steps: 2
              tensorboard: false
            """, "modernbert.yaml");
        var result = new SentenceTrainer(TrainingRun.Build(config)).Run();
        Assert.Equal(4, result.Steps);
        // A ModernBertModel state dict without prefix (what sentence-transformers saves), the source's config.json.
        using (var st = SafeTensorsFile.Open(Path.Combine(result.ModelPath, "model.safetensors")))
        {
            Assert.Contains("layers.1.attn.Wqkv.bias", st.Tensors.Keys);
            Assert.Contains("embeddings.tok_embeddings.weight", st.Tensors.Keys);
            Assert.DoesNotContain(st.Tensors.Keys, k => k.StartsWith("model.", StringComparison.Ordinal));
        }
        Assert.Equal(File.ReadAllText(Path.Combine(Folder, "config.json")), File.ReadAllText(Path.Combine(result.ModelPath, "config.json")));
        var saved = Skald.Models.SentenceEncoder.Load(result.ModelPath);
        Assert.IsType<ModernBert>(saved.Transformer);
        var before = Skald.Models.SentenceEncoder.Load(Folder).Encode(["toget går klokka ni"])[0];
        var after = saved.Encode(["toget går klokka ni"])[0];
        Assert.True(before.Zip(after).Any(p => Math.Abs(p.First - p.Second) > 1e-4f), "training changed the model");
    }

    [Fact]
    public void LoraAttachesToTheFusedProjections()
    {
        // peft's target names for ModernBERT: Wqkv, Wo (attention and MLP), Wi; only the adapters train.
        var model = TrainableEncoder.Load(Folder, dropout: 0f);
        model.EnableLora(new Skald.Models.Adapters.LoraConfig { R = 2, Alpha = 4, Dropout = 0f, TargetModules = ["Wqkv", "Wo", "Wi"] }, seed: 1);
        Assert.Equal(4 * 4 * 2, model.Parameters.Count); // 4 layers × (Wqkv, attn.Wo, Wi, mlp.Wo) × (A, B)
        Assert.Contains(model.Parameters, p => p.Name == "layers.2.attn.Wqkv.lora_B.weight");
        model.ZeroGradients();
        var tape = new Tensors.Autograd.Tape();
        var e = model.Model.Forward(tape, Pad([[0, 5, 9, 17, 40, 80, 120, 200, 2], [0, 33, 2]]), normalize: true);
        var seed = new float[e.Length];
        for (int i = 0; i < seed.Length; i++) seed[i] = (i % 7) - 3;
        tape.Seed(e, seed);
        tape.Backward();
        tape.Reset();
        Assert.All(model.Parameters.Where(p => p.Name.EndsWith("lora_B.weight", StringComparison.Ordinal)),
            p => Assert.Contains(p.Grad.ToArray(), g => g != 0f)); // B's gradient is nonzero while B = 0
        Assert.All(model.Model.Parameters, p => Assert.False(p.RequiresGrad));
    }
}
