using System.Text.Json.Nodes;
using Skald.Models;
using Skald.Models.Architectures;
using Skald.Models.MaskedLm;
using Skald.Training.Config;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Losses;

/// <summary>
/// Masked-LM on GTE (continued pretraining of gte-multilingual-base and kin): NewForMaskedLM's head (lm_head.dense,
/// hidden_act, lm_head.norm a LayerNorm under an RMSNorm encoder, lm_head.decoder tied to the word embeddings plus its
/// bias) read from a NewForMaskedLM checkpoint (fixtures/models/gte-mlm-tiny), logits, loss and every sampled gradient
/// against the PyTorch reference for a fixed masking (fixtures/training/gte_mlm.json, make_mlm.py), central
/// differences, a bare NewModel folder (NewModel's initialisation), an untied decoder refused, a `skald train` run
/// saved in NewForMaskedLM's layout (encoder under "new.", auto_map naming the class) that continues from its head, and
/// a SPLADE run (model.type splade) whose sparse encoder loads back with that head.
/// </summary>
public sealed class GteMaskedLmTests
{
    private static readonly string Tiny = Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", "gte-mlm-tiny");

    [Fact]
    public void HeadIsReadFromTheCheckpointAndMatchesPyTorch()
    {
        var model = TrainableEncoder.Load(Tiny, dropout: 0f);
        var mlm = new MaskedLanguageModelingLoss(model);
        var head = Assert.IsType<GteMaskedLmHead>(mlm.Head);
        Assert.Equal(["lm_head.dense.weight", "lm_head.dense.bias", "lm_head.norm.weight", "lm_head.norm.bias", "lm_head.decoder.bias"],
            head.Parameters.Select(p => p.Name));
        Assert.Same(((Gte)model.Model.Transformer).WordEmbeddings, head.Decoder);
        Assert.Equal(MaskedLmLayout.Gte, head.Layout);
        Assert.True(head.FromCheckpoint);
        Assert.Equal(model.Tokenizer.TokenToId("<mask>"), mlm.MaskId);
        Assert.Equal(MaskedLmReference.Tensors(Tiny)["lm_head.norm.weight"], head.Parameters[2].Data.ToArray());
        MaskedLmReference.MatchesPyTorch(model, mlm, "gte_mlm.json", z => z);
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var encoder = TrainableEncoder.Load(Tiny, dropout: 0f);
        var mlm = new MaskedLanguageModelingLoss(encoder, maskProbability: 0.4f, seed: 5);
        MaskedLmReference.MatchesFiniteDifferences(encoder, mlm,
        [
            ("lm_head.dense.weight", 7), ("lm_head.dense.bias", 3), ("lm_head.norm.weight", 5), ("lm_head.norm.bias", 11),
            ("embeddings.word_embeddings.weight", 300 * 32 + 3), ("encoder.layer.1.mlp.up_gate_proj.weight", 17),
        ]);
    }

    [Fact]
    public void SkaldTrainSavesNewForMaskedLMAndContinuesFromItsHead()
    {
        string dir = MaskedLmReference.TempDir();
        string saved = MaskedLmReference.Train(Tiny, dir, "out", 4);
        var tensors = MaskedLmReference.Tensors(saved);
        foreach (var k in new[] { "new.embeddings.word_embeddings.weight", "new.encoder.layer.1.mlp.down_proj.weight",
                     "lm_head.dense.weight", "lm_head.norm.bias", "lm_head.decoder.bias" })
            Assert.Contains(k, tensors.Keys);
        Assert.DoesNotContain("lm_head.decoder.weight", tensors.Keys); // tied
        Assert.DoesNotContain(tensors.Keys, k => !(k.StartsWith("new.", StringComparison.Ordinal) || k.StartsWith("lm_head.", StringComparison.Ordinal)));
        Assert.Equal("NewForMaskedLM", MaskedLmReference.Architecture(saved));
        var autoMap = JsonNode.Parse(File.ReadAllText(Path.Combine(saved, "config.json")))!["auto_map"]!;
        Assert.Equal("Alibaba-NLP/new-impl--modeling.NewForMaskedLM", (string?)autoMap["AutoModelForMaskedLM"]);
        Assert.Equal("Alibaba-NLP/new-impl--modeling.NewModel", (string?)autoMap["AutoModel"]);
        Assert.NotEqual(MaskedLmReference.Tensors(Tiny)["lm_head.dense.weight"], tensors["lm_head.dense.weight"]);

        var again = TrainableEncoder.Load(saved);
        Assert.IsType<Gte>(again.Model.Transformer);
        var head = new MaskedLanguageModelingLoss(again).Parameters.ToDictionary(p => p.Name);
        Assert.Equal(tensors["lm_head.dense.weight"], head["lm_head.dense.weight"].Data.ToArray());
        Assert.Equal(tensors["lm_head.decoder.bias"], head["lm_head.decoder.bias"].Data.ToArray());
        Assert.Equal(tensors["new.encoder.layer.0.attention.o_proj.weight"],
            again.Parameters.Single(p => p.Name == "encoder.layer.0.attention.o_proj.weight").Data.ToArray());

        string continued = MaskedLmReference.Train(saved, dir, "again", 2);
        Assert.NotEqual(tensors["lm_head.decoder.bias"], MaskedLmReference.Tensors(continued)["lm_head.decoder.bias"]);
    }

    [Fact]
    public void ABareNewModelGetsNewModelsInitialisation()
    {
        string dir = MaskedLmReference.TempDir();
        string encoderOnly = MaskedLmReference.Rewrite(Tiny, dir, (key, values) => key.StartsWith("lm_head.", StringComparison.Ordinal) ? null : values);
        var model = TrainableEncoder.Load(encoderOnly, dropout: 0f);
        var loss = new MaskedLanguageModelingLoss(model, seed: 3);
        Assert.False(loss.Head.FromCheckpoint);
        var head = loss.Head.Parameters.ToDictionary(p => p.Name);
        var dense = head["lm_head.dense.weight"].Data.ToArray();
        Assert.InRange(Math.Sqrt(dense.Select(x => (double)x * x).Average()), 0.015, 0.025); // normal, std 0.02
        Assert.All(head["lm_head.norm.weight"].Data.ToArray(), x => Assert.Equal(1f, x));
        Assert.All(head["lm_head.norm.bias"].Data.ToArray(), x => Assert.Equal(0f, x));
        Assert.All(head["lm_head.decoder.bias"].Data.ToArray(), x => Assert.Equal(0f, x));
    }

    [Fact]
    public void AnUntiedDecoderIsOneClearLine()
    {
        string dir = MaskedLmReference.TempDir();
        string copy = MaskedLmReference.Rewrite(Tiny, dir, (_, values) => values);
        string config = Path.Combine(copy, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(config))!;
        json["tie_word_embeddings"] = false;
        File.WriteAllText(config, json.ToJsonString());
        var model = TrainableEncoder.Load(copy, dropout: 0f);
        var e = Assert.Throws<ModelFormatException>(() => new MaskedLanguageModelingLoss(model));
        Assert.Equal($"{config}: key \"tie_word_embeddings\" false is not supported for NewForMaskedLM (Skald ties lm_head.decoder.weight to the word embeddings)", e.Message);
    }

    [Fact]
    public void AGteTrainsIntoASparseEncoderThatLoadsBack()
    {
        string dir = MaskedLmReference.TempDir();
        string data = Path.Combine(dir, "triplets.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 12).Select(i =>
            $"{{\"anchor\": \"Hvor ligger hus nummer {i}?\", \"positive\": \"Hus {i} ligger ved sjøen.\", \"negative\": \"Bussen går klokka {i % 7}.\"}}"));
        var config = ConfigLoader.Parse($$"""
            model: {path: {{Tiny}}, type: splade, dropout: 0.0}
            data: {train: {{data}}}
            training: {batch_size: 4, learning_rate: 1.0e-3, max_steps: 3}
            loss: {type: splade, document_regularizer_weight: 0.03, query_regularizer_weight: 0.05}
            output: {dir: {{Path.Combine(dir, "splade")}}, tensorboard: false}
            """, "splade.yaml");
        var result = new SentenceTrainer(TrainingRun.Build(config)).Run();
        Assert.Equal(3, result.Steps);

        var model = SentenceEncoder.Load(result.ModelPath);
        Assert.True(model.IsSparse);
        Assert.IsType<GteMaskedLmHead>(model.SpladeHead);
        Assert.True(model.SpladeHead!.FromCheckpoint);
        Assert.Equal(536, model.Dimension);
        Assert.Equal("NewForMaskedLM", MaskedLmReference.Architecture(result.ModelPath));
        var tensors = MaskedLmReference.Tensors(result.ModelPath);
        Assert.Contains("lm_head.dense.weight", tensors.Keys);
        Assert.Contains("new.embeddings.word_embeddings.weight", tensors.Keys);
        var rows = model.Encode(["Hvor ligger huset?", "Bussen går klokka sju."]);
        Assert.All(rows, r => Assert.All(r, x => Assert.True(x >= 0f)));   // log(1 + relu(·)), max-pooled
        Assert.All(rows, r => Assert.Contains(r, x => x > 0f));
    }
}
