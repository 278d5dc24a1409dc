using Skald.Evaluation.Benchmark;

namespace Skald.Cli.Tests;

/// <summary>
/// A pipeline's generate stage writes suite.json for a benchmark stage over its held-out queries. It named no
/// language, so the benchmark's BM25 left a Norwegian or a mixed corpus unstemmed and its report listed the task under
/// no language. It now names the languages guessed in its documents, most documents first, as a suite names a mixed
/// task ("nb,sv"), which the benchmark stems passage by passage.
/// </summary>
public sealed class HeldOutSuiteLanguageTests
{
    private const string Norwegian = "Alle ansatte har rett til fem uker ferie hvert år. Ferien må søkes om i god tid, og lederen din godkjenner søknaden. " +
        "Hvis du blir syk i ferien, kan du kreve å få feriedagene tilbake. Du må da levere legeerklæring så snart som mulig.\n";

    private const string Norwegian2 = "Kantina er åpen fra klokka åtte til klokka to hver dag. Det serveres varm mat hver onsdag, og kaffen er gratis for alle. " +
        "Husk å rydde bort koppen din etter at du har drukket opp. Oppvaskmaskinen tømmes av den som kommer først om morgenen.\n";

    private const string Swedish = "Alla anställda har rätt till fem veckors semester varje år. Semestern måste sökas i god tid, och din chef godkänner ansökan. " +
        "Om du blir sjuk under semestern kan du begära att få tillbaka semesterdagarna. Du måste då lämna ett läkarintyg så snart som möjligt.\n";

    // runs a pipeline of one generate stage over the documents and loads the suite.json it wrote
    private static TaskDefinitionView Run(params (string Name, string Text)[] documents)
    {
        string dir = TestPaths.NewTempDir(), docs = Path.Combine(dir, "docs"), config = Path.Combine(dir, "pipeline.yaml");
        Directory.CreateDirectory(docs);
        foreach (var (name, text) in documents) File.WriteAllText(Path.Combine(docs, name), text);
        File.WriteAllText(config, $$"""
            output: {{Path.Combine(dir, "run")}}
            stages:
              - {name: gen, type: generate, documents: ['{{docs}}'], chunk_tokens: 30, test_fraction: 0.5}
            """);
        var r = InProcessSkald.Capture("pipeline", "--config", config, "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var task = Suite.Load(Path.Combine(dir, "run", "gen", "suite.json")).Tasks.Single();
        return new TaskDefinitionView(task.Name, task.Language);
    }

    private readonly record struct TaskDefinitionView(string Name, string Language);

    [Fact]
    public void ANorwegianCorpusIsANorwegianTask()
    {
        var task = Run(("ferie.txt", Norwegian), ("kantine.txt", Norwegian2));
        Assert.Equal(new TaskDefinitionView("held-out-retrieval", "nb"), task);
    }

    [Fact]
    public void AMixedCorpusNamesItsLanguagesMostDocumentsFirst()
    {
        var task = Run(("ferie.txt", Norwegian), ("kantine.txt", Norwegian2), ("semester.txt", Swedish));
        Assert.Equal("nb,sv", task.Language);
    }
}
