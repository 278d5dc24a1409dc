using Skald.Models.Architectures;
using Skald.Models.CrossEncoders;
using Skald.Training.Config;
using Skald.Training.CrossEncoders;
using Skald.Training.Modeling;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.CrossEncoders;

/// <summary>
/// A DistilBERT cross-encoder (DistilBertForSequenceClassification: pre_classifier, ReLU, classifier on [CLS]): the
/// gradients of BCE over fixtures/models/ce-distilbert's head and encoder against central differences of the loss
/// computed here from the model's logits, and a `loss.type: bce` run from the plain distilbert-tiny folder (a new head)
/// that saves DistilBertForSequenceClassification's layout, which <see cref="CrossEncoder"/> loads with the trained
/// model's scores. (The head's forward against PyTorch: CrossEncoderTests' ce-distilbert.)
/// </summary>
public sealed class DistilBertCrossEncoderTests
{
    private static readonly string[] Queries = ["Hvor ligger huset?", "Når går toget?", "Hva heter katten?", "Hvor ligger huset?"];
    private static readonly string[] Documents = ["Huset ligger ved sjøen.", "Katten heter Pus.", "Toget går klokka ni.", "Det regner i dag."];
    private static readonly float[] Labels = [1f, 0f, 0f, 0.25f];

    [Fact]
    public void GradientsOfBinaryCrossEntropyMatchFiniteDifferences()
    {
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("ce-distilbert"), dropout: 0f);
        var loss = new BinaryCrossEntropyLoss(model, numLabels: 2);
        Assert.Equal(SequenceClassificationHead.HeadLayout.DistilBert, loss.Head.Layout);
        Assert.Equal(["pre_classifier.weight", "pre_classifier.bias", "classifier.weight", "classifier.bias"], loss.Head.Parameters.Select(p => p.Name));
        var labels = Labels.SelectMany(y => new[] { y, 1 - y }).ToArray(); // two labels per pair
        BceGradientCheck.AssertMatchesCentralDifferences(model, loss, Queries, Documents, labels,
            [("pre_classifier.weight", 37), ("pre_classifier.bias", 5), ("classifier.weight", 40),
            ("classifier.bias", 1), ("transformer.layer.1.ffn.lin2.weight", 11), ("embeddings.LayerNorm.weight", 3)]);
    }

    [Fact]
    public void TrainedFromAnEncoderFolderItSavesDistilBertForSequenceClassification()
    {
        string dir = TestPaths.NewTempDir();
        string rows = Path.Combine(dir, "train.jsonl");
        File.WriteAllLines(rows, Enumerable.Range(0, 16).Select(i =>
            $"{{\"query\": \"Hvor ligger hus {i / 2}?\", \"document\": \"{(i % 2 == 0 ? $"Hus {i / 2} ligger ved sjøen." : $"Katten heter {i}.")}\", \"label\": {(i % 2 == 0 ? 1 : 0)}}}"));
        var config = ConfigLoader.Parse($$"""
            model: {path: {{CorePaths.FixtureModel("distilbert-tiny")}}, dropout: 0.1}
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
        Assert.Contains("pre_classifier.weight", tensors.Keys);
        Assert.Contains("classifier.bias", tensors.Keys);
        Assert.Contains("distilbert.transformer.layer.1.ffn.lin1.weight", tensors.Keys);
        Assert.DoesNotContain(tensors.Keys, k => !(k.StartsWith("distilbert.", StringComparison.Ordinal) || k.StartsWith("pre_classifier.", StringComparison.Ordinal)
            || k.StartsWith("classifier.", StringComparison.Ordinal)));
        Assert.Equal("DistilBertForSequenceClassification", Losses.MaskedLmReference.Architecture(result.ModelPath));

        var reranker = CrossEncoder.Load(result.ModelPath);
        Assert.IsType<DistilBert>(reranker.Transformer);
        var expected = loss.Logits(trained, Queries, Documents);
        var logits = reranker.Predict([.. Queries.Zip(Documents)], new CrossEncoderOptions { Activation = ScoreActivation.Identity });
        for (int i = 0; i < Queries.Length; i++) Assert.Equal(expected[i], logits[i][0], 1e-5);
    }
}
