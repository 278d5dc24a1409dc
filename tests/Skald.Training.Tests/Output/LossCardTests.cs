using Skald.Training.Config;
using Skald.Training.Output;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Output;

/// <summary>
/// The model card names the loss that trained the model and its parameters: losses without a case of their own
/// (softmax, cosine_similarity, the batch triplet losses, csr, mlm, mntp, causal_lm) were described as
/// <c>{"loss": "MultipleNegativesRankingLoss", "matryoshka_dims": [], "matryoshka_weights": []}</c>, and MatryoshkaLoss
/// with its default widths as training none (<c>[]</c>).
/// </summary>
public sealed class LossCardTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    private string Card(string loss, string data, bool noDuplicates = true)
    {
        var config = ConfigLoader.Parse($$"""
            model: {path: {{InfraPaths.FixtureModel("bert-cased-mean")}}}
            data: {train: {{data}}}
            training: {batch_size: 4, max_steps: 1, no_duplicates: {{(noDuplicates ? "true" : "false")}}}
            loss: {{loss}}
            output: {dir: {{Path.Combine(dir, "out")}}}
            """, "c.yaml");
        var setup = TrainingRun.Build(config);
        return ModelCard.Build(setup, [], new Dictionary<string, double>(), new TrainerState(), 0);
    }

    private string Pairs(string label) => InfraPaths.WriteFile(dir, $"pairs-{label}.jsonl", string.Concat(Enumerable.Range(0, 8).Select(i =>
        $"{{\"sentence1\": \"Ferja går klokka {i}.\", \"sentence2\": \"Bussen går klokka {i}.\", \"label\": {(label == "class" ? (i % 2).ToString(System.Globalization.CultureInfo.InvariantCulture) : "0.5")}}}\n")));

    private string Text() => InfraPaths.WriteFile(dir, "text.txt", string.Concat(Enumerable.Range(0, 8).Select(i => $"Biblioteket i Bergen opnar klokka {i}.\n")));

    [Fact]
    public void EachLossIsNamedWithItsOwnParameters()
    {
        string softmax = Card("{type: softmax, num_labels: 2}", Pairs("class"));
        Assert.Contains("- loss:SoftmaxLoss\n", softmax);
        Assert.Contains("\n  {\"num_labels\": 2}\n", softmax);
        Assert.Contains("\n  {\"loss_fct\": \"torch.nn.modules.loss.MSELoss\"}\n", Card("{type: cosine_similarity}", Pairs("score")));
        Assert.Contains("\n  {\"mask_probability\": 0.15}\n", Card("{type: mlm}", Text(), noDuplicates: false));
        foreach (string card in new[] { softmax, Card("{type: mlm}", Text(), noDuplicates: false) })
            Assert.DoesNotContain("matryoshka", card);
    }

    [Fact]
    public void MatryoshkaListsTheWidthsItTrains()
    {
        // bert-cased-mean embeds in 32 dimensions: the default widths are 32 and its halves down to an eighth.
        string card = Card("{type: matryoshka}", Pairs("score"));
        Assert.Contains("{\"loss\": \"MultipleNegativesRankingLoss\", \"matryoshka_dims\": [32, 16, 8, 4], \"matryoshka_weights\": [1, 1, 1, 1]}", card);
        Assert.Contains("\"matryoshka_dims\": [32, 8], \"matryoshka_weights\": [1, 0.5]}",
            Card("{type: matryoshka, matryoshka_dims: [32, 8], matryoshka_weights: [1, 0.5]}", Pairs("score")));
    }
}
