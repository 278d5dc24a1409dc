using Skald.Training.Config;
using Skald.Training.Evaluation;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Evaluation;

/// <summary>
/// A sparse encoder evaluated during training on pairs with 0/1 labels and on triplets reports upstream's
/// SparseBinaryClassificationEvaluator's <c>eval_pair_classification_active_dims</c> / <c>_sparsity_ratio</c> (over the
/// distinct texts) and SparseTripletEvaluator's <c>eval_triplet_anchor_active_dims</c> ... (per column), named without a
/// similarity as upstream names them; the expected values count the non-zero entries of the model's own encodings here.
/// </summary>
public sealed class SparseTrainingSparsityTests
{
    private static string Write(string dir, string name, IEnumerable<string> lines)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    private static TrainingConfig Config(string dir, string eval) => ConfigLoader.Parse($$"""
        model: {path: {{CorePaths.FixtureModel("splade-bert-tiny")}}}
        data: {train: {{Write(dir, "train.jsonl", Enumerable.Range(0, 8).Select(i => $"{{\"anchor\": \"hus {i}\", \"positive\": \"huset {i} ligger her\", \"negative\": \"katten {i}\"}}"))}}, eval: {{eval}}}
        training: {batch_size: 4, max_steps: 1}
        loss: {type: splade}
        output: {dir: {{Path.Combine(dir, "out")}}, tensorboard: false}
        """, "splade.yaml");

    /// <summary>The mean count of non-zero entries of the model's encodings of <paramref name="texts"/>, and 1 − that / the width.</summary>
    private static (double Active, double Ratio) Counted(ITrainableModel model, IReadOnlyList<string> texts)
    {
        var rows = model.Encode(texts, 4);
        double active = rows.Average(r => r.Count(v => v != 0f));
        return (active, 1 - active / rows[0].Length);
    }

    [Fact]
    public void PairsAndTripletsReportTheSparsityUpstreamsSparseEvaluatorsDo()
    {
        string dir = TestPaths.NewTempDir();
        string[] first = ["hus 1", "hus 2", "hus 1", "katten sover"], second = ["huset 1 ligger her", "hus 1", "bussen går", "katten sover"];
        string pairs = Write(dir, "pairs.jsonl", first.Select((a, i) => $"{{\"sentence1\": \"{a}\", \"sentence2\": \"{second[i]}\", \"label\": {i % 2}}}"));
        var setup = TrainingRun.Build(Config(dir, pairs));
        var labelled = Assert.IsType<LabelledPairsEvaluator>(Assert.Single(setup.Evaluators, e => e is LabelledPairsEvaluator));
        var m = labelled.Evaluate(setup.Model, 4);
        var (active, ratio) = Counted(setup.Model, [.. first.Concat(second).Distinct()]);
        Assert.Equal(active, m["eval_pair_classification_active_dims"], 12);
        Assert.Equal(ratio, m["eval_pair_classification_sparsity_ratio"], 12);
        Assert.True(((IEvaluator)labelled).Provides("eval_pair_classification_active_dims"));

        string[][] rows = [["hus 1", "huset 1 ligger her", "katten"], ["hus 2", "hus 1", "bussen går klokka sju"], ["hus 2", "huset 2", "katten"]];
        string triplets = Write(dir, "triplets.jsonl", rows.Select(r => $"{{\"anchor\": \"{r[0]}\", \"positive\": \"{r[1]}\", \"negative\": \"{r[2]}\"}}"));
        setup = TrainingRun.Build(Config(dir, triplets));
        var triplet = Assert.IsType<TripletEvaluator>(Assert.Single(setup.Evaluators, e => e is TripletEvaluator));
        m = triplet.Evaluate(setup.Model, 4);
        string[] roles = ["anchor", "positive", "negative"];
        for (int c = 0; c < 3; c++)
        {
            (active, ratio) = Counted(setup.Model, [.. rows.Select(r => r[c])]);
            Assert.Equal(active, m[$"eval_triplet_{roles[c]}_active_dims"], 12);
            Assert.Equal(ratio, m[$"eval_triplet_{roles[c]}_sparsity_ratio"], 12);
            Assert.True(((IEvaluator)triplet).Provides($"eval_triplet_{roles[c]}_sparsity_ratio"));
        }
        Assert.Equal(7, m.Count);
    }
}
