using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Output;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Output;

/// <summary>
/// A run on two files of one name in different folders (the LLM2Vec journey's data-llm/pairs.jsonl and
/// data-ict/pairs.jsonl) names them apart in the model card: it listed "Training Datasets: pairs.jsonl, pairs.jsonl".
/// </summary>
public sealed class CardDatasetNamesTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    private string Pairs(string folder) => InfraPaths.WriteFile(Directory.CreateDirectory(Path.Combine(dir, folder)).FullName, "pairs.jsonl",
        string.Concat(Enumerable.Range(0, 8).Select(i => $"{{\"anchor\": \"Når går ferja {i} fra {folder}?\", \"positive\": \"Ferja går klokka {i}.\"}}\n")));

    [Fact]
    public void TwoFilesOfOneNameAreNamedByTheirFolders()
    {
        var config = ConfigLoader.Parse($$"""
            model: {path: {{InfraPaths.FixtureModel("bert-cased-mean")}}}
            data: {train: [{{Pairs("data-llm")}}, {{Pairs("data-ict")}}]}
            training: {batch_size: 4, max_steps: 1}
            loss: {type: mnrl}
            output: {dir: {{Path.Combine(dir, "out")}}}
            """, "c.yaml");
        string card = ModelCard.Build(TrainingRun.Build(config), [], new Dictionary<string, double>(), new TrainerState(), 0);
        Assert.Contains("- **Training Datasets:** data-llm/pairs.jsonl, data-ict/pairs.jsonl\n", card);
        Assert.Contains("#### data-llm/pairs.jsonl\n", card);
        Assert.Contains("#### data-ict/pairs.jsonl\n", card);
    }

    [Fact]
    public void EachNameIsTheShortestEndOfItsPathNoOtherEndsWith()
    {
        Assert.Equal(["a/x/p.jsonl", "b/x/p.jsonl", "q.jsonl", "name:train"],
            DatasetNames.Short(["/d/a/x/p.jsonl", "/d/b/x/p.jsonl", "/d/c/q.jsonl", "org/name:train"]));
        Assert.Equal(["p.jsonl", "q.jsonl"], DatasetNames.Short(["a\\p.jsonl", "a/q.jsonl/"]));
        Assert.Equal(["/d/p.jsonl", "/d/p.jsonl"], DatasetNames.Short(["/d/p.jsonl", "/d/p.jsonl"])); // one file twice: whole
    }
}
