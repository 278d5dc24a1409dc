using System.Text;
using System.Text.Json;
using Skald.Evaluation.Data;
using Skald.Evaluation.Evaluators;
using Skald.Retrieval;
using Skald.Retrieval.Data;

namespace Skald.Evaluation.Tests;

/// <summary>
/// The mse and paraphrase-mining task kinds against torch restatements of sentence-transformers' MSEEvaluator
/// (fixtures/st-api/make_st_parity_reference.py) and ParaphraseMiningEvaluator
/// (fixtures/st-api/make_paraphrase_evaluator_reference.py), through <see cref="TaskEvaluator.Create"/> with
/// models whose vectors are the references' rows; and their bad input as one line naming the file and key.
/// </summary>
public sealed class MseAndParaphraseTaskTests
{
    private static JsonElement Fixture(params string[] path) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine([TestPaths.Fixtures, .. path]))).RootElement;

    private static float[][] Rows(JsonElement e) => [.. e.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetSingle()).ToArray())];

    private static string Write(string name, string content)
    {
        string path = Path.Combine(TestPaths.NewTempDir(), name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void AnMseTaskIsUpstreamsNegativeMse()
    {
        var reference = Fixture("st-api", "st_parity.json").GetProperty("mse");
        float[][] teacherRows = Rows(reference.GetProperty("teacher")), studentRows = Rows(reference.GetProperty("student"));
        var teacher = new FakeModel(teacherRows.Select((r, i) => ($"s{i}", r)).ToDictionary());
        var student = new FakeModel(studentRows.Select((r, i) => ($"t{i}", r)).ToDictionary());
        var lines = new StringBuilder();
        for (int i = 0; i < teacherRows.Length; i++) lines.Append($"{{\"source\":\"s{i} källa\",\"target\":\"t{i} mål\"}}\n");
        var task = TaskDefinition.FromPath(Write("distil.jsonl", lines.ToString()), TaskKind.Mse);
        Assert.Equal(TaskKind.Bitext, TaskDefinition.Infer(task.Path)); // the same shape: only --type says mse
        var evaluator = TaskEvaluator.Create(task, teacher: teacher);
        var result = evaluator.Evaluate(student);
        double want = reference.GetProperty("negative_mse").GetDouble();
        Assert.Equal("negative_mse", result.MainMetric);
        Assert.Equal("mse", result.Type);
        Assert.True(Math.Abs(want - result.MainScore) <= 1e-5 * Math.Abs(want), $"{result.MainScore} vs {want}");
        Assert.Equal(-result.MainScore, result.Metrics["mse"]);
        Assert.Equal(1, teacher.Calls);
        evaluator.Evaluate(student); // a second evaluation (the next training step) embeds only the student's side
        Assert.Equal(1, teacher.Calls);
        Assert.Equal(2, student.Calls);
    }

    [Fact]
    public void AnMseTaskWithoutATeacherOrAColumnIsOneLine()
    {
        var model = new FakeModel(new() { ["a"] = [1f, 0f], ["b"] = [0f, 1f] });
        string path = Write("distil.jsonl", "{\"source\":\"a\",\"target\":\"b\"}\n");
        var e = Assert.Throws<EvaluationException>(() => TaskEvaluator.Create(TaskDefinition.FromPath(path, TaskKind.Mse)).Evaluate(model));
        Assert.StartsWith($"{path}: an mse task compares the model with a teacher", e.Message);
        string missing = Write("distil.jsonl", "{\"source\":\"a\"}\n");
        e = Assert.Throws<EvaluationException>(() => TaskEvaluator.Create(TaskDefinition.FromPath(missing, TaskKind.Mse), teacher: model).Evaluate(model));
        Assert.Equal($"{missing}:1: missing field \"target\"", e.Message);
        var wide = new FakeModel(new() { ["a"] = [1f, 0f, 0f], ["b"] = [0f, 1f, 0f] });
        e = Assert.Throws<EvaluationException>(() => TaskEvaluator.Create(TaskDefinition.FromPath(path, TaskKind.Mse), teacher: wide).Evaluate(model));
        Assert.Contains("3 dimensions", e.Message);
    }

    [Theory]
    [InlineData(0)] // without the transitive closure (upstream's default)
    [InlineData(1)] // with it: 26 known pairs become 47
    public void AParaphraseMiningTaskIsUpstreamsParaphraseMiningEvaluator(int setting)
    {
        float[][] embeddings = Rows(Fixture("mining", "mining.json").GetProperty("embeddings"));
        var reference = Fixture("st-api", "paraphrase_evaluator.json");
        var pairs = reference.GetProperty("duplicates").EnumerateArray().Select(p => (p[0].GetInt32(), p[1].GetInt32())).ToList();
        var want = reference.GetProperty("settings")[setting];
        Assert.Equal(100, want.GetProperty("top_k").GetInt32());
        Assert.Equal(500_000, want.GetProperty("max_pairs").GetInt32());
        var lines = new StringBuilder();
        for (int i = 0; i < embeddings.Length; i++)
        {
            // Each pair is named by one of its rows (either), some as numbers: the loader joins them by id.
            var mine = pairs.Where(p => (p.Item1 + p.Item2) % 2 == 0 ? p.Item1 == i : p.Item2 == i).Select(p => (p.Item1 + p.Item2) % 2 == 0 ? p.Item2 : p.Item1);
            string duplicates = string.Join(",", mine.Select(j => j % 3 == 0 ? $"\"{j}\"" : $"{j}"));
            lines.Append($"{{\"id\":\"{i}\",\"text\":\"w{i} setning\"{(duplicates.Length > 0 ? $",\"duplicates\":[{duplicates}]" : "")}}}\n");
        }
        string path = Write("quora-dups.jsonl", lines.ToString());
        var model = new FakeModel(embeddings.Select((r, i) => ($"w{i}", r)).ToDictionary());
        var task = TaskDefinition.FromPath(path, TaskDefinition.ParseKind("paraphrase-mining")) with
        {
            AddTransitiveClosure = want.GetProperty("add_transitive_closure").GetBoolean(),
        };
        var result = TaskEvaluator.Create(task).Evaluate(model);
        Assert.Equal("paraphrase-mining", result.Type);
        Assert.Equal("average_precision", result.MainMetric);
        foreach (var name in new[] { "average_precision", "f1", "precision", "recall", "threshold" })
            Assert.True(Math.Abs(want.GetProperty(name).GetDouble() - result.Metrics[name]) <= (name == "threshold" ? 1e-5 : 1e-9), $"{name}: {result.Metrics[name]} vs {want.GetProperty(name)}");
        Assert.Equal(want.GetProperty("duplicates").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture), result.Metadata["duplicates"]);
    }

    [Fact]
    public void AParaphraseFileIsInferredAndItsBadRowsAreOneLine()
    {
        string good = Write("p.jsonl", "{\"id\":\"a\",\"text\":\"a\",\"duplicates\":[\"b\"]}\n{\"id\":\"b\",\"text\":\"b\"}\n");
        Assert.Equal(TaskKind.ParaphraseMining, TaskDefinition.Infer(good));
        string noText = Write("p.jsonl", "{\"id\":\"a\",\"text\":\"a\",\"duplicates\":[\"b\"]}\n{\"id\":\"b\"}\n");
        var model = new FakeModel(new() { ["a"] = [1f, 0f], ["b"] = [0f, 1f] });
        var e = Assert.Throws<EvaluationException>(() => TaskEvaluator.Create(TaskDefinition.FromPath(noText)).Evaluate(model));
        Assert.Equal($"{noText}:2: missing field \"text\"", e.Message);
        string unknown = Write("p.jsonl", "{\"id\":\"a\",\"text\":\"a\",\"duplicates\":[\"c\"]}\n{\"id\":\"b\",\"text\":\"b\"}\n");
        e = Assert.Throws<EvaluationException>(() => TaskEvaluator.Create(TaskDefinition.FromPath(unknown)).Evaluate(model));
        Assert.Equal($"{unknown}:1: field \"duplicates\" names \"c\", the id of no row", e.Message);
        string twice = Write("p.jsonl", "{\"id\":\"a\",\"text\":\"a\",\"duplicates\":[\"a\"]}\n");
        e = Assert.Throws<EvaluationException>(() => TaskEvaluator.Create(TaskDefinition.FromPath(twice)).Evaluate(model));
        Assert.Contains("own id", e.Message);
        // a lone surrogate escape among the ids is valid JSON but no text (it was an InvalidOperationException)
        string surrogate = Write("p.jsonl", "{\"id\":\"a\",\"text\":\"a\",\"duplicates\":[\"b\"]}\n{\"id\":\"b\",\"text\":\"b\",\"duplicates\":[\"\\ud800\"]}\n");
        e = Assert.Throws<EvaluationException>(() => Datasets.LoadParaphrases(surrogate));
        Assert.Equal($"{surrogate}:2: {DataFiles.LoneSurrogate("duplicates")}", e.Message);
    }
}
