using System.Text.Json.Nodes;
using Skald.Models.Architectures;
using Skald.Models.CrossEncoders;
using Skald.Training.Config;
using Skald.Training.CrossEncoders;
using Skald.Training.Modeling;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.CrossEncoders;

/// <summary>
/// A GTE cross-encoder (new-impl's NewForSequenceClassification, Alibaba-NLP/gte-multilingual-reranker-base's layout:
/// the pooler's dense + tanh on the first token, dropout, classifier): the gradients of BCE over fixtures/models/ce-gte's
/// head and encoder against central differences of the loss computed here from the model's logits, and a `loss.type:
/// bce` run from gte-multilingual-tiny (an embedding model: a new pooler and classifier) that saves the class, the
/// <c>new.</c> keys and auto_map's AutoModelForSequenceClassification, which <see cref="CrossEncoder"/> loads with the
/// trained model's scores. (The head's forward against PyTorch: CrossEncoderTests' ce-gte.)
/// </summary>
public sealed class GteCrossEncoderTests
{
    private static readonly string[] Queries = ["Hvor ligger huset?", "Når går toget?", "Hva heter katten?", "Hvor ligger huset?"];
    private static readonly string[] Documents = ["Huset ligger ved sjøen.", "Katten heter Pus.", "Toget går klokka ni.", "Det regner i dag."];
    private static readonly float[] Labels = [1f, 0f, 0f, 0.25f];

    [Fact]
    public void GradientsOfBinaryCrossEntropyMatchFiniteDifferences()
    {
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("ce-gte"), dropout: 0f);
        var loss = new BinaryCrossEntropyLoss(model);
        Assert.Equal(SequenceClassificationHead.HeadLayout.Bert, loss.Head.Layout);
        Assert.Equal(["pooler.dense.weight", "pooler.dense.bias", "classifier.weight", "classifier.bias"], loss.Head.Parameters.Select(p => p.Name));
        BceGradientCheck.AssertMatchesCentralDifferences(model, loss, Queries, Documents, Labels,
            [("pooler.dense.weight", 37), ("pooler.dense.bias", 5), ("classifier.weight", 20),
            ("classifier.bias", 0), ("encoder.layer.1.mlp.down_proj.weight", 11), ("embeddings.LayerNorm.weight", 3)]);
    }

    [Fact]
    public void SavedAgainItKeepsTheClassTheKeysAndTheAutoMap()
    {
        string source = CorePaths.FixtureModel("ce-gte"), dir = Path.Combine(TestPaths.NewTempDir(), "saved");
        var model = CrossEncoder.Load(source);
        CrossEncoderSaver.Save(model, dir); // as skald merge writes a loaded cross-encoder
        Assert.Equal(Losses.MaskedLmReference.Tensors(source).Keys.Order(), Losses.MaskedLmReference.Tensors(dir).Keys.Order());
        var before = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "config.json")))!.AsObject();
        var after = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!.AsObject();
        Assert.Equal(before["architectures"]!.ToJsonString(), after["architectures"]!.ToJsonString());
        Assert.Equal(before["auto_map"]!.ToJsonString(), after["auto_map"]!.ToJsonString());
        var pairs = Queries.Zip(Documents).ToArray();
        Assert.Equal(model.Predict(pairs), CrossEncoder.Load(dir).Predict(pairs));
    }

    [Fact]
    public void TrainedFromAnEmbeddingModelItSavesNewForSequenceClassification()
    {
        string dir = TestPaths.NewTempDir();
        // gte-multilingual-tiny as a model whose auto_map names NewModel only (as Snowflake's arctic-embed v2 does).
        string source = TestPaths.CopyFolder(CorePaths.FixtureModel("gte-multilingual-tiny"), Path.Combine(dir, "base"));
        var baseConfig = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "config.json")))!.AsObject();
        baseConfig["auto_map"] = new JsonObject
        {
            ["AutoConfig"] = "Alibaba-NLP/new-impl--configuration.NewConfig",
            ["AutoModel"] = "Alibaba-NLP/new-impl--modeling.NewModel",
        };
        File.WriteAllText(Path.Combine(source, "config.json"), baseConfig.ToJsonString());
        string rows = Path.Combine(dir, "train.jsonl");
        File.WriteAllLines(rows, Enumerable.Range(0, 16).Select(i =>
            $"{{\"query\": \"Hvor ligger hus {i / 2}?\", \"document\": \"{(i % 2 == 0 ? $"Hus {i / 2} ligger ved sjøen." : $"Katten heter {i}.")}\", \"label\": {(i % 2 == 0 ? 1 : 0)}}}"));
        var config = ConfigLoader.Parse($$"""
            model: {path: {{source}}, dropout: 0.1}
            data: {train: {{rows}}}
            training: {batch_size: 4, learning_rate: 1.0e-3, max_steps: 4}
            loss: {type: bce}
            output: {dir: {{Path.Combine(dir, "out")}}, tensorboard: false}
            """, "ce.yaml");
        var setup = TrainingRun.Build(config);
        var trained = Assert.IsType<TrainableEncoder>(setup.Model);
        var loss = Assert.IsType<BinaryCrossEntropyLoss>(setup.Loss);
        var result = new SentenceTrainer(setup).Run();

        var tensors = Losses.MaskedLmReference.Tensors(result.ModelPath);
        Assert.Contains("new.pooler.dense.weight", tensors.Keys);
        Assert.Contains("classifier.bias", tensors.Keys);
        Assert.Contains("new.encoder.layer.1.mlp.up_gate_proj.weight", tensors.Keys);
        Assert.DoesNotContain(tensors.Keys, k => !(k.StartsWith("new.", StringComparison.Ordinal) || k.StartsWith("classifier.", StringComparison.Ordinal)));
        var saved = JsonNode.Parse(File.ReadAllText(Path.Combine(result.ModelPath, "config.json")))!.AsObject();
        Assert.Equal("NewForSequenceClassification", saved["architectures"]![0]!.GetValue<string>());
        Assert.Equal("Alibaba-NLP/new-impl--modeling.NewForSequenceClassification", saved["auto_map"]!["AutoModelForSequenceClassification"]!.GetValue<string>());
        Assert.Equal("Alibaba-NLP/new-impl--modeling.NewModel", saved["auto_map"]!["AutoModel"]!.GetValue<string>());
        Assert.Equal("new", saved["model_type"]!.GetValue<string>());
        Assert.Contains("trust_remote_code=True", File.ReadAllText(Path.Combine(result.ModelPath, "README.md")), StringComparison.Ordinal);

        var reranker = CrossEncoder.Load(result.ModelPath);
        Assert.IsType<Gte>(reranker.Transformer);
        var expected = loss.Logits(trained, Queries, Documents);
        var logits = reranker.Predict([.. Queries.Zip(Documents)], new CrossEncoderOptions { Activation = ScoreActivation.Identity });
        for (int i = 0; i < Queries.Length; i++) Assert.Equal(expected[i], logits[i][0], 1e-5);
    }
}
