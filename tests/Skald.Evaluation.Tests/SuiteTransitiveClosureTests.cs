using Skald.Evaluation.Benchmark;
using Skald.Evaluation.Evaluators;
using Skald.Retrieval;

namespace Skald.Evaluation.Tests;

/// <summary>
/// A suite's paraphrase-mining task asking for upstream's <c>add_transitive_closure</c>: its duplicates gain the pairs a
/// chain of them joins, as <c>skald evaluate --add-transitive-closure</c> counts them; the key on another kind of task,
/// or not a boolean, is one line naming the suite and the task.
/// </summary>
public sealed class SuiteTransitiveClosureTests
{
    private static string WriteSuite(string dir, string task)
    {
        File.WriteAllText(Path.Combine(dir, "dups.jsonl"), "{\"id\":\"a\",\"text\":\"Hei!\",\"duplicates\":[\"b\"]}\n" +
            "{\"id\":\"b\",\"text\":\"Hei du!\",\"duplicates\":[\"c\"]}\n{\"id\":\"c\",\"text\":\"Hallo!\"}\n");
        File.WriteAllText(Path.Combine(dir, "bitext.jsonl"), "{\"source\":\"Hei!\",\"target\":\"Hallo!\"}\n");
        string path = Path.Combine(dir, "suite.json");
        File.WriteAllText(path, $"{{\"name\":\"s\",\"tasks\":[{task}]}}");
        return path;
    }

    [Fact]
    public void AParaphraseMiningEntryAddsTheClosureOfItsDuplicates()
    {
        string dir = TestPaths.NewTempDir();
        var model = new FakeModel(new() { ["Hei!"] = [1f, 0f], ["Hei"] = [0.9f, 0.1f], ["Hallo!"] = [0.5f, 0.5f] });
        var with = Suite.Load(WriteSuite(dir, "{\"path\":\"dups.jsonl\",\"type\":\"paraphrase-mining\",\"add_transitive_closure\":true}"));
        var without = Suite.Load(WriteSuite(dir, "{\"path\":\"dups.jsonl\",\"add_transitive_closure\":false}"));
        Assert.True(Assert.Single(with.Tasks).AddTransitiveClosure);
        Assert.False(Assert.Single(without.Tasks).AddTransitiveClosure);
        Assert.Equal("3", TaskEvaluator.Create(with.Tasks[0]).Evaluate(model).Metadata["duplicates"]); // a-b and b-c given, a-c by the closure
        Assert.Equal("2", TaskEvaluator.Create(without.Tasks[0]).Evaluate(model).Metadata["duplicates"]);
    }

    [Fact]
    public void TheClosureIsPartOfTheKeyABenchmarkCachesTheResultUnder()
    {
        // skald benchmark keeps each task's result under a key of its definition and data files; the key left the closure
        // out, so a suite that turned add_transitive_closure on was given the result cached without it (and the other way)
        string dir = TestPaths.NewTempDir();
        var task = Assert.Single(Suite.Load(WriteSuite(dir, "{\"path\":\"dups.jsonl\",\"add_transitive_closure\":true}")).Tasks);
        var retrieval = new RetrievalOptions();
        Assert.NotEqual(BenchmarkRunner.TaskKey(task with { AddTransitiveClosure = false }, retrieval), BenchmarkRunner.TaskKey(task, retrieval));
    }

    [Fact]
    public void TheKeyOnAnotherKindOrNotABooleanIsOneLine()
    {
        string dir = TestPaths.NewTempDir();
        string suite = WriteSuite(dir, "{\"path\":\"bitext.jsonl\",\"type\":\"bitext\",\"add_transitive_closure\":true}");
        Assert.Equal($"{suite}: task 1 \"add_transitive_closure\" applies to paraphrase-mining tasks; this one is bitext",
            Assert.Throws<EvaluationException>(() => Suite.Load(suite)).Message);
        suite = WriteSuite(dir, "{\"path\":\"dups.jsonl\",\"add_transitive_closure\":\"yes\"}");
        Assert.Equal($"{suite}: task 1 \"add_transitive_closure\" must be true or false, not string",
            Assert.Throws<EvaluationException>(() => Suite.Load(suite)).Message);
    }
}
