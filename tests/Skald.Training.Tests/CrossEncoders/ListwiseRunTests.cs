using System.Text.Json.Serialization;
using Parquet.Serialization;
using Skald.Models.CrossEncoders;
using Skald.Training.Config;
using Skald.Training.CrossEncoders;
using Skald.Training.Data;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.CrossEncoders;

/// <summary>
/// The learning-to-rank losses through the trainer (as <c>skald train</c> runs them) on listwise rows, a query with a
/// list of documents and their labels, read from JSONL and Parquet with lists of different lengths; and the lines bad
/// listwise data and misplaced keys get.
/// </summary>
public sealed class ListwiseRunTests
{
    private readonly string dir = TestPaths.NewTempDir();

    /// <summary>Row i: a query with 2–4 documents (lengths cycle), the first relevant (label 2 or 1), one partly (1), the rest not.</summary>
    private string Lists(string name, int n)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllLines(path, Enumerable.Range(0, n).Select(i =>
        {
            int count = 2 + i % 3;
            var docs = new[] { $"Hus {i} ligger ved sjøen.", $"Katten heter {i}.", $"Hus {i} er rødt.", $"Det regner i by {i}." }[..count];
            var labels = new[] { 2, 0, 1, 0 }[..count];
            return $"{{\"query\": \"Hvor ligger hus {i}?\", \"docs\": [{string.Join(", ", docs.Select(d => $"\"{d}\""))}], \"labels\": [{string.Join(", ", labels)}]}}";
        }));
        return path;
    }

    private TrainingConfig Config(string outName, string loss) => ConfigLoader.Parse($$"""
        model: {path: {{CorePaths.FixtureModel("bert-cased-mean")}}, dropout: 0.1}
        data: {train: {{Lists("train.jsonl", 12)}}, eval: {{Lists("eval.jsonl", 6)}}}
        training: {batch_size: 4, learning_rate: 1.0e-3, max_steps: 6}
        loss: {{loss}}
        evaluation: {steps: 3}
        output: {dir: {{Path.Combine(dir, outName)}}, save_steps: 2, tensorboard: false}
        """, "listwise.yaml");

    [Fact]
    public void ListsOfDifferentLengthsAreReadPaddedAndTheirLabelsChecked()
    {
        var d = DatasetReader.Read(Lists("rows.jsonl", 3));
        Assert.Equal(["query", "docs[0]", "docs[1]", "docs[2]", "docs[3]"], d.Columns);
        Assert.Equal("docs", d.ListColumn);
        Assert.Equal(4, d.ListWidth);
        Assert.Equal(["Hvor ligger hus 0?", "Hus 0 ligger ved sjøen.", "Katten heter 0.", "", ""], d.Rows[0]);
        Assert.Equal([2f, 0f, float.NaN, float.NaN, 2f, 0f, 1f, float.NaN, 2f, 0f, 1f, 0f], d.Labels!);

        string bad = Path.Combine(dir, "bad.jsonl");
        File.WriteAllLines(bad, ["{\"query\": \"q\", \"docs\": [\"a\", \"b\"], \"labels\": [1, 0]}", "{\"query\": \"q\", \"docs\": [\"a\", \"b\"], \"labels\": [1]}"]);
        var e = Assert.Throws<TrainingException>(() => DatasetReader.Read(bad));
        Assert.Equal($"{bad}:2: column 'labels' has 1 number for the 2 texts of 'docs'", e.Message);
        File.WriteAllLines(bad, ["{\"query\": \"q\", \"docs\": [\"a\", \"b\"], \"labels\": [1, 0]}", "{\"query\": \"q\", \"docs\": \"a\", \"labels\": [1]}"]);
        e = Assert.Throws<TrainingException>(() => DatasetReader.Read(bad));
        Assert.Equal($"{bad}:2: column 'docs' holds a text here and a list on an earlier line", e.Message);
        File.WriteAllLines(bad, ["{\"query\": \"q\", \"docs\": [\"a\", 3], \"labels\": [1, 0]}"]);
        e = Assert.Throws<TrainingException>(() => DatasetReader.Read(bad));
        Assert.Equal($"{bad}:1: column 'docs' must be a non-empty list of texts", e.Message);
        File.WriteAllLines(bad, ["{\"docs\": [\"a\", \"b\"], \"query\": \"q\", \"labels\": [1, 0]}"]);
        e = Assert.Throws<TrainingException>(() => DatasetReader.Read(bad));
        Assert.Contains("only the last text column may hold lists of texts", e.Message, StringComparison.Ordinal);
        File.WriteAllLines(bad, ["{\"query\": \"q\", \"docs\": [\"a\", \"b\"]}"]);
        e = Assert.Throws<TrainingException>(() => DatasetReader.Read(bad));
        Assert.StartsWith($"{bad}: column 'docs' holds lists of texts, which need a 'labels' column with one number per text (", e.Message);
        // Tools that read a table as text (inspect, translate) still refuse a list.
        Assert.Throws<TrainingException>(() => DatasetReader.ReadTable(Lists("rows2.jsonl", 1)));
        // A lone surrogate escape in a list (valid JSON, no text) is one line; inspect and translate, which read the
        // list's JSON again, met it as an InvalidOperationException, an internal error.
        File.WriteAllLines(bad, ["{\"query\": \"q\", \"docs\": [\"a\", \"\\ud800\"], \"labels\": [1, 0]}"]);
        e = Assert.Throws<TrainingException>(() => DatasetReader.ReadTable(bad, out _));
        Assert.Equal($"{bad}:1: {Skald.Retrieval.Data.DataFiles.LoneSurrogate("docs")}", e.Message);
        Assert.Equal(e.Message, Assert.Throws<TrainingException>(() => DatasetReader.Read(bad)).Message);
    }

    public sealed class ListRow
    {
        [JsonPropertyName("query")]
        public string Query { get; set; } = "";

        [JsonPropertyName("docs")]
        public List<string> Docs { get; set; } = [];

        [JsonPropertyName("labels")]
        public List<double> Labels { get; set; } = [];
    }

    [Fact]
    public async Task ParquetListsOfTextsAreListwiseRowsAndShardsPadToTheLongest()
    {
        string a = Path.Combine(dir, "a.parquet"), b = Path.Combine(dir, "b.parquet");
        ListRow[] first = [new() { Query = "Hvor bor du?", Docs = ["I Bergen.", "Katten sover."], Labels = [1, 0] }];
        ListRow[] second = [new() { Query = "Hva heter du?", Docs = ["Ola.", "Det regner.", "Jeg heter Kari."], Labels = [1, 0, 1] }];
        await ParquetSerializer.SerializeAsync(first, a);
        await ParquetSerializer.SerializeAsync(second, b);
        Assert.Equal(["docs"], Skald.Retrieval.Data.ParquetTableReader.TextListColumns(a));
        var d = DatasetReader.ReadAll([a, b], "both");
        Assert.Equal(["query", "docs[0]", "docs[1]", "docs[2]"], d.Columns);
        Assert.Equal(["Hvor bor du?", "I Bergen.", "Katten sover.", ""], d.Rows[0]);
        Assert.Equal(["Hva heter du?", "Ola.", "Det regner.", "Jeg heter Kari."], d.Rows[1]);
        Assert.Equal([1f, 0f, float.NaN, 1f, 0f, 1f], d.Labels!);
    }

    [Theory]
    [InlineData("{type: lambda}", "LambdaLoss")]
    [InlineData("{type: listnet, activation: sigmoid}", "ListNetLoss")]
    [InlineData("{type: lambda, cached: true, mini_batch_size: 5}", "LambdaLoss")] // GradCache over the pairs, dropout replayed
    public void TrainsEvaluatesResumesAndSavesACrossEncoder(string loss, string lossClass)
    {
        var full = new SentenceTrainer(TrainingRun.Build(Config("full", loss))).Run();
        Assert.Contains("eval_reranking_ndcg@10", full.FinalMetrics.Keys);
        Assert.InRange(full.FinalMetrics["eval_reranking_mrr@10"], 1.0 / 3, 1.0); // two of 2–4 documents count as relevant
        var reranker = CrossEncoder.Load(full.ModelPath);
        Assert.Equal(ScoreActivation.Sigmoid, reranker.Activation);
        string card = File.ReadAllText(Path.Combine(full.ModelPath, "README.md"));
        Assert.Contains($"loss:{lossClass}", card, StringComparison.Ordinal);
        CrossEncoderRunTests.AssertKilledRunResumesExactly(Config("cut", loss), full);
    }

    [Fact]
    public void TheEvaluatorRanksEachListAndLeavesPaddingOut()
    {
        var setup = TrainingRun.Build(Config("eval", "{type: listnet}"));
        var evaluator = Assert.IsType<CrossEncoderEvaluator>(Assert.Single(setup.Evaluators));
        Assert.Equal(6, evaluator.QueryCount);
        var metrics = evaluator.Evaluate(setup.Model, 8);
        Assert.InRange(metrics["eval_reranking_map"], 0.0, 1.0);
    }

    [Theory]
    [InlineData("{type: bce}", "reads one text per column; 'docs' holds lists of documents")]
    [InlineData("{type: ce_mnrl}", "reads one text per column; 'docs' holds lists of documents")]
    [InlineData("{type: bce, k: 3}", "loss.k is LambdaLoss's and RankNetLoss's")]
    [InlineData("{type: listnet, weighting_scheme: none}", "loss.weighting_scheme is LambdaLoss's")]
    [InlineData("{type: lambda, respect_input_order: false}", "loss.respect_input_order is ListMLELoss's")]
    [InlineData("{type: listmle, position_weights: [1, 0.5]}", "loss.position_weights is PListMLELoss's")]
    [InlineData("{type: plistmle, position_weights: [0, 0]}", "loss.position_weights must be finite weights ≥ 0, not all 0")]
    [InlineData("{type: plistmle, position_weights: [1]}", "loss.position_weights only 1 weights")]
    [InlineData("{type: lambda, weighting_scheme: ndcg_loss1, mu: 5}", "loss.mu is LambdaLoss's with weighting_scheme ndcg_loss2pp")]
    [InlineData("{type: mnrl, activation: sigmoid}", "loss.activation is the cross-encoder distillation and listwise losses'")]
    // Only the listwise losses take mini_batch_size alone; ce_mnrl ignored it (the whole batch ran at once) unless cached: true.
    [InlineData("{type: ce_mnrl, mini_batch_size: 3}", "loss.mini_batch_size is GradCache's rows per chunk (loss.type: cached_mnrl, or loss.cached: true), not loss.type ce_mnrl's; add loss.cached: true")]
    public void MisplacedKeysAndListsForOtherLossesAreOneLine(string loss, string message)
    {
        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(Config("bad", loss)));
        Assert.True(e.Message.Contains(message, StringComparison.Ordinal), e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
    [Theory]
    [InlineData("{type: lambda, mini_batch_size: 3}", 3)]
    [InlineData("{type: lambda}", null)]
    public void ListwiseMiniBatchSizeAloneMeansGradCache(string loss, int? expected)
    {
        var config = Config("mini", loss);
        Assert.Equal(expected is not null, config.Loss.Cached);
        var setup = TrainingRun.Build(config);
        Assert.Equal(expected, Assert.IsAssignableFrom<CrossEncoderLoss>(setup.Loss).MiniBatchSize);
    }

    [Fact]
    public void LabelsJudgeRelevanceByWhatTheyAre()
    {
        var setup = TrainingRun.Build(Config("judge", "{type: listnet}"));
        var loss = Assert.IsAssignableFrom<CrossEncoderLoss>(setup.Loss);
        TextDataset Rows(float[] labels) => new("rows", ["query", "docs[0]", "docs[1]", "docs[2]"],
            [["Hvor?", "Her.", "Der.", "Borte."], ["Når?", "Nå.", "Snart.", ""]], labels) { ListColumn = "docs" };
        // Grades: relevant from 1; probabilities: from 0.5; a teacher's raw scores: each query's best.
        Assert.Equal(2, new CrossEncoderEvaluator(loss, Rows([2, 0, 1, 0, 1, float.NaN])).QueryCount);
        Assert.Equal(1, new CrossEncoderEvaluator(loss, Rows([0.9f, 0.2f, 0.1f, 0.3f, 0.4f, float.NaN])).QueryCount);
        Assert.Equal(2, new CrossEncoderEvaluator(loss, Rows([7.5f, -2, 3, -1, 4.25f, float.NaN])).QueryCount);
        // MarginMSE's labels are margins: its rows are judged as (anchor, positive, negative...).
        var margins = new TextDataset("m", ["query", "positive", "negative_1", "negative_2"],
            [["Hvor?", "Her.", "Der.", "Borte."]], [3.5f, 1.25f]);
        var marginLoss = new CrossEncoderMseLoss(setup.Model as Skald.Training.Modeling.TrainableEncoder ?? throw new InvalidOperationException(), margin: true);
        Assert.Equal(1, new CrossEncoderEvaluator(marginLoss, margins).QueryCount);
    }

    [Fact]
    public void ListsStayOutOfEmbeddingEvaluationAndNoDuplicatesIgnoresPadding()
    {
        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(Config("mnrl", "{type: mnrl}"),
            [new TextDataset("pairs", ["anchor", "positive"], [["a", "b"], ["c", "d"], ["e", "f"], ["g", "h"]])], DatasetReader.Read(Lists("eval-lists.jsonl", 3))));
        Assert.Contains("'docs' holds lists of documents, which a cross-encoder's evaluation reads", e.Message, StringComparison.Ordinal);
        // Two padded rows share a batch with no_duplicates on: their empty padding is no text.
        var d = DatasetReader.Read(Lists("pad.jsonl", 4));
        var batches = BatchPlanner.PlanEpoch([d], 4, shuffle: false, noDuplicates: true, "proportional", 1, 0);
        Assert.Equal(4, Assert.Single(batches).Rows.Length);
        Assert.Contains("holds lists of documents (listwise rows); mine-negatives reads one text per column", Assert.Throws<TrainingException>(() => d.WithoutLists("mine-negatives")).Message, StringComparison.Ordinal);
        Assert.Equal(["query", "docs"], Skald.Data.Translate.DatasetTranslator.TextColumns(Lists("translate.jsonl", 2)));
    }
    /// <summary>
    /// A cross-encoder trained with LambdaLoss learns a task it can learn: "Hvor er X?" against four sentences, one
    /// naming X (the words drawn from a fixed seed). On held-out lists (their rows of one query pooled, as the
    /// evaluator pools them) its MAP rises well above the untrained model's, which is about chance.
    /// </summary>
    [Fact]
    public void LambdaLossTeachesATinyRerankerToMatchTheQuery()
    {
        string[] words = ["hus", "bil", "båt", "fjell", "skog", "elv", "sjø", "by", "katt", "hund", "fugl", "fisk", "bok", "stol", "bord", "dør"];
        string[] frames = ["Vi så en {0} i går.", "Der står en {0} ved veien.", "Min nabo har en {0}.", "Det er en {0} her."];
        var random = new Random(7);
        string Write(string name, int n)
        {
            string path = Path.Combine(dir, name);
            File.WriteAllLines(path, Enumerable.Range(0, n).Select(_ =>
            {
                var picked = words.OrderBy(_ => random.Next()).Take(4).ToArray(); // picked[0] is the query's word
                var docs = picked.Select(w => string.Format(System.Globalization.CultureInfo.InvariantCulture, frames[random.Next(frames.Length)], w)).ToArray();
                int at = random.Next(4);
                (docs[0], docs[at]) = (docs[at], docs[0]);
                var labels = Enumerable.Range(0, 4).Select(j => j == at ? 1 : 0);
                return $"{{\"query\": \"Hvor er {picked[0]}?\", \"docs\": [{string.Join(", ", docs.Select(d => $"\"{d}\""))}], \"labels\": [{string.Join(", ", labels)}]}}";
            }));
            return path;
        }
        var config = ConfigLoader.Parse($$"""
            model: {path: {{CorePaths.FixtureModel("bert-cased-mean")}}, dropout: 0.1}
            data: {train: {{Write("synthetic.jsonl", 1200)}}, eval: {{Write("held-out.jsonl", 100)}}}
            training: {batch_size: 16, learning_rate: 1.0e-3, max_steps: 200}
            loss: {type: lambda}
            evaluation: {steps: 0}
            output: {dir: {{Path.Combine(dir, "learn")}}, save_steps: 0, tensorboard: false}
            """, "learn.yaml");
        var setup = TrainingRun.Build(config);
        double before = Assert.Single(setup.Evaluators).Evaluate(setup.Model, 64)["eval_reranking_map"];
        var result = new SentenceTrainer(setup).Run();
        double after = result.FinalMetrics["eval_reranking_map"];
        Assert.True(after >= before + 0.25, $"MAP {before:F3} before training, {after:F3} after");
    }
}
