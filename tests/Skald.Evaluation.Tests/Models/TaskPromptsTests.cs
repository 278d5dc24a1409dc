using System.Text.Json.Nodes;
using Skald.Evaluation.Data;
using Skald.Evaluation.Evaluators;
using Skald.Evaluation.Models;
using Skald.Models.Modules;
using Skald.Retrieval;
using Skald.Retrieval.Models;

namespace Skald.Evaluation.Tests.Models;

/// <summary>
/// A model's task-specific prompts picked as MTEB picks them (mteb/models/wrapper.py get_prompt_name: task-role,
/// task, type-role, type, role), by the rule alone and through <c>skald evaluate</c>'s evaluators.
/// </summary>
public sealed class TaskPromptsTests
{
    private static readonly Dictionary<string, string> All = new()
    {
        ["xq-query"] = "1", ["xq"] = "2", ["Retrieval-query"] = "3", ["Retrieval"] = "4", ["query"] = "5",
        ["xq-passage"] = "p1", ["Retrieval-document"] = "d3", ["passage"] = "p5",
        ["STS"] = "s4",
    };

    [Fact]
    public void EachLevelGivesWayToTheOneBeforeIt()
    {
        // Queries: removing the winning key each time reveals the next level in MTEB's order.
        string[] order = ["xq-query", "xq", "Retrieval-query", "Retrieval", "query"];
        var prompts = new Dictionary<string, string>(All);
        foreach (string key in order)
        {
            Assert.Equal(All[key], RolePrompts.For(prompts, TextRole.Query, "xq", "Retrieval"));
            prompts.Remove(key);
        }
        Assert.Null(RolePrompts.For(prompts, TextRole.Query, "xq", "Retrieval"));
        // Documents: MTEB 1's "passage" counts as the document role; a task name's bare key applies to documents too.
        Assert.Equal("p1", RolePrompts.For(All, TextRole.Document, "xq", "Retrieval"));
        Assert.Equal("d3", RolePrompts.For(All, TextRole.Document, "other", "Retrieval"));
        Assert.Equal("2", RolePrompts.For(All.Where(p => p.Key != "xq-passage").ToDictionary(p => p.Key, p => p.Value),
            TextRole.Document, "xq", "Retrieval"));
        // Symmetric texts have no role: only the task's and the type's bare keys apply.
        Assert.Equal("s4", RolePrompts.For(All, TextRole.Text, "sts-task", "STS"));
        Assert.Equal("2", RolePrompts.For(All, TextRole.Text, "xq", "STS"));
        Assert.Null(RolePrompts.For(All, TextRole.Text, "other", "Classification"));
        // Without a task, the rule Skald always had.
        Assert.Equal("5", RolePrompts.For(All, TextRole.Query));
        Assert.Equal("p5", RolePrompts.For(All, TextRole.Document));
        Assert.Null(RolePrompts.For(All, TextRole.Text));
        // sentence-transformers' encode_document takes "corpus" last, as SentenceEncoder.EncodeDocument does.
        Assert.Equal("c: ", RolePrompts.For(new Dictionary<string, string> { ["corpus"] = "c: " }, TextRole.Document));
    }

    [Fact]
    public void EvaluateUsesTheTaskPromptsOfTheFolder()
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string config = Path.Combine(model, "config_sentence_transformers.json");
        var json = JsonNode.Parse(File.ReadAllText(config))!;
        json["prompts"] = new JsonObject
        {
            ["query"] = "query: ", ["passage"] = "passage: ", ["xq-query"] = "spørsmål: ", ["STS"] = "likhet: ",
        };
        File.WriteAllText(config, json.ToJsonString());
        string dir = TestPaths.NewTempDir();
        string sts = Path.Combine(dir, "s.tsv");
        File.WriteAllText(sts, "sentence1\tsentence2\tscore\nHei verden\tHallo verda\t0.9\nHei verden\tKatten sov\t0.1\nEn bil\tEin bil\t0.7\nKatten sov\tHunden sprang\t0.4\n");

        using var evaluated = EvaluationEmbeddingModel.Load(model);
        var result = TaskEvaluator.Create(TaskDefinition.FromPath(sts)).Evaluate(evaluated);
        Assert.Equal("likhet: ", result.Metadata["model.text_prompt"]);

        // The score of vectors the encoder makes with the STS prompt itself, evaluated through a plain lookup model.
        var texts = new[] { "Hei verden", "Hallo verda", "Katten sov", "En bil", "Ein bil", "Hunden sprang" };
        var vectors = evaluated.Encoder.Encode(texts, new Skald.Models.EncodeOptions { Prompt = "likhet: " });
        var lookup = new LookupModel(texts.Zip(vectors).ToDictionary(p => p.First, p => p.Second));
        var expected = TaskEvaluator.Create(TaskDefinition.FromPath(sts)).Evaluate(lookup);
        Assert.Equal(expected.MainScore, result.MainScore, 6);
        var plain = TaskEvaluator.Create(TaskDefinition.FromPath(sts)).Evaluate(
            new LookupModel(texts.Zip(evaluated.Encoder.Encode(texts, new Skald.Models.EncodeOptions())).ToDictionary(p => p.First, p => p.Second)));
        Assert.NotEqual(plain.MainScore, result.MainScore, 6); // the prompt changed what was embedded

        // Retrieval: the task "xq" gets its own query prompt; another task the plain one; documents "passage: ".
        string beir = BeirFolder.Write("{\"_id\":\"d1\",\"text\":\"Hei verden\"}\n{\"_id\":\"d2\",\"text\":\"Katten sov\"}\n",
            "{\"_id\":\"q1\",\"text\":\"Hallo verda\"}\n", "q1\td1\t1\n");
        var xq = TaskEvaluator.Create(TaskDefinition.FromPath(beir, name: "xq")).Evaluate(evaluated);
        Assert.Equal("spørsmål: ", xq.Metadata["model.query_prompt"]);
        Assert.Equal("passage: ", xq.Metadata["model.document_prompt"]);
        var other = TaskEvaluator.Create(TaskDefinition.FromPath(beir, name: "other")).Evaluate(evaluated);
        Assert.Equal("query: ", other.Metadata["model.query_prompt"]);
        Assert.False(other.Metadata.ContainsKey("model.text_prompt"));
        Assert.Equal(evaluated.Name, xq.Model);
    }

    private sealed class LookupModel(Dictionary<string, float[]> vectors) : IEmbeddingModel
    {
        public string Name => "lookup";
        public IReadOnlyDictionary<string, string> Metadata { get; } = new Dictionary<string, string>();
        public int Dimension => vectors.Values.First().Length;
        public SimilarityFunction Similarity => SimilarityFunction.Cosine;
        public float[][] Embed(IReadOnlyList<string> texts, TextRole role) => [.. texts.Select(t => vectors[t])];
        public IReadOnlyList<string> SplitToFit(string text, TextRole role) => [text];
    }
}
