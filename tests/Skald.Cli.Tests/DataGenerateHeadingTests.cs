using System.Text.Json;
using Skald.Tests;

namespace Skald.Cli.Tests;

/// <summary>
/// Training data, evaluation data and the index agree on what a passage is: <c>skald data generate</c> writes each
/// chunk's section heading as its corpus.jsonl title (as <c>skald index build</c> keeps it in records.jsonl),
/// pairs.jsonl's positives are "title text" as the index embeds them, and <c>data mine-negatives --corpus</c> reads a
/// corpus.jsonl the same way, so a positive is never mined as a negative of itself through its text without the title.
/// </summary>
public sealed class DataGenerateHeadingTests
{
    private static string Documents => SampleDocuments.Folder;

    private static List<JsonElement> Lines(string path) => [.. File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement)];

    [Fact]
    public void LlmGenerationWritesThePassagesTheIndexHoldsAndPairsThemAsSearched()
    {
        string dir = TestPaths.NewTempDir(), output = Path.Combine(dir, "data");
        string model = TestPaths.FixtureModel("bert-cased-mean");
        using var server = new FakeChatServer((_, _) => FakeChatServer.Reply.Good);
        var r = InProcessSkald.Capture("data", "generate", "--documents", Documents, "--output", output, "--generator", "llm", "--llm", server.Url,
            "--llm-model", "fake", "--tokenizer", model, "--chunk-tokens", "60", "--overlap-tokens", "8", "--api-key-env", "SKALD_TEST_NO_SUCH_KEY", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string index = SampleDocuments.Index(InProcessSkald.Capture, model, "--chunk-tokens", "60", "--overlap-tokens", "8"); // read only
        var corpus = Lines(Path.Combine(output, "corpus.jsonl"));
        var records = Lines(Path.Combine(index, "records.jsonl"));
        static (string, string) Passage(JsonElement e) => (e.GetProperty("title").GetString()!, e.GetProperty("text").GetString()!);
        Assert.Equal(records.Select(Passage), corpus.Select(Passage));
        Assert.Contains(corpus, c => c.GetProperty("title").GetString() == "Bestilling av bønner");
        // The model was shown each heading.
        Assert.Contains(server.Prompts, p => p.User.Contains("Overskrift: Bestilling av bønner\n\nTekst:\n", StringComparison.Ordinal));
        // pairs.jsonl: each positive is its passage's "title text".
        var byId = corpus.ToDictionary(c => c.GetProperty("_id").GetString()!, Passage);
        var queries = Lines(Path.Combine(output, "queries.jsonl")).ToDictionary(q => q.GetProperty("_id").GetString()!, q => q.GetProperty("text").GetString()!);
        var qrels = File.ReadAllLines(Path.Combine(output, "qrels", "train.tsv")).Skip(1).Select(l => l.Split('\t'))
            .ToDictionary(f => queries[f[0]], f => byId[f[1]]);
        var pairs = Lines(Path.Combine(output, "pairs.jsonl"));
        Assert.Equal(qrels.Count, pairs.Count);
        foreach (var p in pairs)
        {
            var (title, text) = qrels[p.GetProperty("anchor").GetString()!];
            Assert.Equal(title.Length == 0 ? text : title + " " + text, p.GetProperty("positive").GetString());
        }
    }

    [Fact]
    public void APipelineGenerateStageWritesThePassagesTheIndexHoldsToo()
    {
        // The stage chunked with the text alone held to the budget while the index counts the title in it: other chunks.
        string dir = TestPaths.NewTempDir(), output = Path.Combine(dir, "run"), config = Path.Combine(dir, "pipeline.yaml");
        string model = TestPaths.FixtureModel("bert-cased-mean");
        using var server = new FakeChatServer((_, _) => FakeChatServer.Reply.Good);
        File.WriteAllText(config, $$"""
            output: {{output}}
            stages:
              - {name: gen, type: generate, documents: ['{{Documents}}'], tokenizer: '{{model}}', chunk_tokens: 60, overlap_tokens: 8, generator: llm,
                 llm: '{{server.Url}}', llm_model: fake, api_key_env: SKALD_TEST_NO_SUCH_KEY}
            """);
        var r = InProcessSkald.Capture("pipeline", "--config", config);
        Assert.True(r.ExitCode == 0, r.Stderr);
        string index = SampleDocuments.Index(InProcessSkald.Capture, model, "--chunk-tokens", "60", "--overlap-tokens", "8"); // read only
        static (string, string) Passage(JsonElement e) => (e.GetProperty("title").GetString()!, e.GetProperty("text").GetString()!);
        Assert.Equal(Lines(Path.Combine(index, "records.jsonl")).Select(Passage), Lines(Path.Combine(output, "gen", "corpus.jsonl")).Select(Passage));
    }

    [Fact]
    public void MineNegativesReadsACorpusTitleWithItsText()
    {
        // The positive's own corpus.jsonl line, read as its text alone, was a different passage from the positive
        // ("title text"): the best candidate, and mined as the pair's negative.
        string dir = TestPaths.NewTempDir(), pairs = Path.Combine(dir, "pairs.jsonl"), corpus = Path.Combine(dir, "corpus.jsonl"), mined = Path.Combine(dir, "mined.jsonl");
        File.WriteAllText(pairs, "{\"anchor\":\"Når stenger kjøkkenet i kantinen?\",\"positive\":\"Kantinen Kjøkkenet stenger klokken to om ettermiddagen.\"}\n");
        File.WriteAllText(corpus,
            "{\"_id\":\"a\",\"title\":\"Kantinen\",\"text\":\"Kjøkkenet stenger klokken to om ettermiddagen.\"}\n" +
            "{\"_id\":\"b\",\"title\":\"Sykkel\",\"text\":\"Sykler parkeres i kjelleren når kantinen er stengt.\"}\n" +
            "{\"_id\":\"c\",\"title\":\"\",\"text\":\"Kaffe er gratis hele dagen.\"}\n");
        var r = InProcessSkald.Capture("data", "mine-negatives", "--data", pairs, "--corpus", corpus, "--model", "bm25", "--num-negatives", "1",
            "--relative-margin", "none", "--output", mined);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(["Sykkel Sykler parkeres i kjelleren når kantinen er stengt."],
            Lines(mined).Select(l => l.GetProperty("negative").GetString()!));
    }
}
