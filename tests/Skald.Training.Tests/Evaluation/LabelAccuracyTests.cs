using System.Text.Json;
using Skald.Models.Modules;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Evaluation;
using Skald.Training.Losses;

namespace Skald.Training.Tests.Evaluation;

/// <summary>
/// <see cref="LabelAccuracyEvaluator"/> against a torch restatement of sentence-transformers' LabelAccuracyEvaluator
/// over SoftmaxLoss's classifier (fixtures/label-accuracy/make_label_accuracy_reference.py): the classifier's logits per
/// pair and the accuracy (6 of 8) from the same pair embeddings and weights; a label outside loss.num_labels is one line.
/// </summary>
public sealed class LabelAccuracyTests
{
    private static readonly JsonElement Reference =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "label-accuracy", "label_accuracy.json"))).RootElement;

    private static float[][] Rows(string key) => [.. Reference.GetProperty(key).EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetSingle()).ToArray())];

    /// <summary>Text "a3" embeds as u[3], "b3" as v[3].</summary>
    private sealed class TableModel(float[][] u, float[][] v) : ITrainableModel
    {
        public ModelFolder Source => throw new NotSupportedException();
        public IReadOnlyList<Parameter> Parameters => [];
        public int Dimension => u[0].Length;
        public float Dropout { get; set; }
        public SkaldRandom Random { get; } = new(1);
        public float[][] Encode(IReadOnlyList<string> texts, int batchSize = 32) =>
            [.. texts.Select(t => (t[0] == 'a' ? u : v)[int.Parse(t[1..], System.Globalization.CultureInfo.InvariantCulture)])];
        public void ZeroGradients() { }
        public void Save(string folder, string? modelCard = null, IReadOnlyList<Parameter>? head = null) => throw new NotSupportedException();
    }

    private static SoftmaxLoss Loss()
    {
        var loss = new SoftmaxLoss(4, 3);
        Rows("weight").SelectMany(r => r).ToArray().CopyTo(loss.Weight.Data.Span);
        Reference.GetProperty("bias").EnumerateArray().Select(x => x.GetSingle()).ToArray().CopyTo(loss.Bias.Data.Span);
        return loss;
    }

    [Fact]
    public void LogitsAndAccuracyAreUpstreams()
    {
        float[][] u = Rows("u"), v = Rows("v");
        var loss = Loss();
        var expectedLogits = Rows("logits");
        var features = new double[12];
        var logits = new double[3];
        for (int i = 0; i < u.Length; i++)
        {
            loss.Logits(u[i], v[i], features, logits);
            for (int c = 0; c < 3; c++) Assert.Equal(expectedLogits[i][c], logits[c], 5);
        }
        var labels = Reference.GetProperty("labels").EnumerateArray().Select(x => (float)x.GetInt32()).ToList();
        var eval = new TextDataset("nli-dev", ["sentence1", "sentence2"], [.. Enumerable.Range(0, u.Length).Select(i => new[] { "a" + i, "b" + i })], labels);
        Assert.True(LabelAccuracyEvaluator.Suits(eval));
        var metrics = new LabelAccuracyEvaluator(loss, eval).Evaluate(new TableModel(u, v), 4);
        Assert.Equal(Reference.GetProperty("accuracy").GetDouble(), metrics["eval_softmax_accuracy"], 12);
        Assert.Equal(0.75, metrics["eval_softmax_accuracy"], 12);
    }

    [Fact]
    public void ALabelBeyondTheClassifierIsOneLine()
    {
        var eval = new TextDataset("nli-dev", ["sentence1", "sentence2"], [["a0", "b0"], ["a1", "b1"]], [0f, 3f]);
        var e = Assert.Throws<TrainingException>(() => new LabelAccuracyEvaluator(Loss(), eval));
        Assert.Equal("nli-dev: label 3 is not in 0..2 (loss.num_labels 3)", e.Message);
    }
}
