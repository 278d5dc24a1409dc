using System.Text.RegularExpressions;
using Skald.Data.Indexing;
using Skald.Data.Ingest;
using Skald.Evaluation.Data;
using Skald.Evaluation.Evaluators;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using Skald.Training.Config;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// README's library samples (the index, evaluation and training from code) run here as written: each region between
/// <c>// README sample</c> markers below is README's csharp block with its paths as the variables named in
/// <see cref="Paths"/>, so a sample that stops compiling or running fails here, and one edited in only one place fails
/// <see cref="TheSamplesAreReadmes"/>.
/// </summary>
public sealed partial class ReadmeLibrarySamplesTests
{
    // The variable in the regions below for each path README's samples name.
    private static readonly (string Variable, string Literal)[] Paths =
    [
        ("ModelDir", "\"models/nb-sbert-base\""), ("IdxDir", "\"idx\""), ("TaskDir", "\"samples/data/eval/retrieval\""),
        ("ConfigFile", "\"configs/train-example.yaml\""), ("DocsDir", "\"docs\""),
    ];

    private static readonly string ModelDir = TestPaths.CopyOfFixtureModel("bert-cased-mean");
    private readonly string IdxDir = Path.Combine(TestPaths.NewTempDir(), "idx");
    private static readonly string TaskDir = Path.Combine(TestPaths.RepoRoot, "samples", "data", "eval", "retrieval");

    [Fact]
    public void TheIndexSampleRuns()
    {
        // README sample: index
        using var model = EncoderEmbeddingModel.Load(ModelDir); // or new EncoderEmbeddingModel(encoder)
        TextIndex.Build(IdxDir, model, [TextIndex.Record("ferie", "Ferien avtales med nærmeste leder innen 1. april.", title: "Ferie")], language: "nb");
        TextIndex.Add(IdxDir, model, [TextIndex.Record("lonn", "Lønn utbetales den 20. hver måned."), TextIndex.Record("gammel", "Utgått rutine.")]);
        IndexBuilder.Delete(IdxDir, ids: ["gammel"], sources: []); // skald index delete --id: returns the rows deleted
        using var index = TextIndex.Open(IdxDir, model); // SearchIndex.Open, refusing an index of another model
        foreach (var hit in TextIndex.Search(index, model, "Når må ferien avtales?", SearchMode.Hybrid, topK: 5))
            Console.WriteLine($"{hit.Score:F3} {hit.Record.Id} {hit.Record.Text}");
        // README sample end
        var ids = TextIndex.Search(index, model, "Når må ferien avtales?", SearchMode.Hybrid, topK: 5).Select(h => h.Record.Id).Order();
        Assert.Equal(["ferie", "lonn"], ids);
    }

    [Fact]
    public void TheDocumentsSampleRuns()
    {
        string DocsDir = SampleDocuments.Copy();
        // README sample: documents
        using var model = EncoderEmbeddingModel.Load(ModelDir);
        var chunking = new ChunkOptions { ChunkTokens = 200, OverlapTokens = 32, Counter = TokenCounter.For(model.Encoder.Tokenizer, ModelDir) };
        DocumentIndex.Build(IdxDir, model, ModelDir, [DocsDir], chunking, language: "auto"); // skald index build --documents docs --language auto
        DocumentIndex.Delete(IdxDir, [Path.Combine(DocsDir, "kaffe.md")]); // skald index delete --source
        File.Delete(Path.Combine(DocsDir, "sykkel.txt"));
        DocumentSyncResult sync = DocumentIndex.Sync(IdxDir, model, [DocsDir], chunking); // skald index add --sync: only changed files embedded
        Console.WriteLine($"{sync.Unchanged} unchanged, {sync.Changed} changed, {sync.New} new, {sync.Removed} removed");
        // README sample end
        Assert.Equal((4, 0, 1, 1), (sync.Unchanged, sync.Changed, sync.New, sync.Removed)); // kaffe.md, deleted from the index, is in the folder: back

        using var index = SearchIndex.Open(IdxDir);
        Assert.Equal(["ferie.md", "kaffe.md", "kantine.md", "motesrum.md", "nettverk.html"],
            Enumerable.Range(0, index.Records.Count).Where(r => !index.Deleted.Contains(r)).Select(r => index.Records[r].Source).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void TheEvaluationAndTrainingSampleRuns()
    {
        string output = Path.Combine(TestPaths.NewTempDir(), "out");
        string ConfigFile = Path.Combine(TestPaths.NewTempDir(), "train.yaml");
        File.WriteAllText(ConfigFile, $"""
            model:
              path: {ModelDir}
            data:
              train: {Path.Combine(TestPaths.RepoRoot, "samples", "data", "train-pairs.jsonl")}
            training:
              batch_size: 4
            output:
              dir: {output}
            """);
        // README sample: evaluation and training
        using (var model = EncoderEmbeddingModel.Load(ModelDir))
        {
            TaskResult score = TaskEvaluator.Create(TaskDefinition.FromPath(TaskDir)).Evaluate(model);
            Console.WriteLine($"{score.Task}: {score.MainMetric} = {score.MainScore:F4}");
        }
        var config = ConfigLoader.Load(ConfigFile, ["training.max_steps=20"]);
        using var setup = TrainingRun.Build(config, progress: p => Console.WriteLine($"step {p.Step}/{p.TotalSteps} loss {p.Loss:F4}"));
        TrainingResult result = new SentenceTrainer(setup).Run();
        Console.WriteLine($"saved {result.ModelPath} after {result.Steps} steps");
        // README sample end
        Assert.Equal(20, result.Steps);
        Assert.Equal(Path.Combine(output, "final"), result.ModelPath);
        Assert.True(File.Exists(Path.Combine(result.ModelPath, "model.safetensors")));
    }

    [Theory]
    [InlineData("index")]
    [InlineData("evaluation and training")]
    [InlineData("documents")]
    public void TheSamplesAreReadmes(string name)
    {
        // this file by its place in the repository (a CI build maps compiled source paths to /_/)
        string source = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests", "Skald.Training.Tests", "Trainer", "ReadmeLibrarySamplesTests.cs"));
        var region = Regex.Match(source, $@"// README sample: {name}\n(?<code>.*?)\n[ ]*// README sample end", RegexOptions.Singleline);
        Assert.True(region.Success, name);
        var lines = region.Groups["code"].Value.Split('\n');
        int indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        string code = string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
        foreach (var (variable, literal) in Paths) code = Regex.Replace(code, $@"\b{variable}\b", literal);
        var blocks = Regex.Matches(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md")), "```csharp\n(.*?)```", RegexOptions.Singleline)
            .Select(m => string.Join('\n', m.Groups[1].Value.Split('\n').Where(l => !NamespaceImport().IsMatch(l))).Trim());
        Assert.Contains(code.Trim(), blocks);
    }

    [GeneratedRegex(@"^using [\w.]+;\s*$")]
    private static partial Regex NamespaceImport();
}
