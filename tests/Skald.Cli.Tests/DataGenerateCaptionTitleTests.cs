using System.Text.Json;
using Skald.Tests;

namespace Skald.Cli.Tests;

/// <summary>
/// A chunk that starts with rows of a table whose caption an earlier chunk holds carries the caption in its title
/// ("heading – caption", <c>Chunk.Title</c>) in the index; <c>skald data generate</c>, with either generator, writes that
/// same title to corpus.jsonl (it wrote the heading alone, so such a passage was another text in training and evaluation
/// than in the index), and the LLM is shown it.
/// </summary>
public sealed class DataGenerateCaptionTitleTests
{
    private const string Caption = CaptionedTableDocument.Caption;

    /// <summary>The chunk budget: the fixture's fine-grained vocabulary leaves a prose chunk of this many tokens sentences to take out.</summary>
    private const string ChunkTokens = "200";

    /// <summary>A section whose table runs over several chunks under its caption, and prose ICT takes queries from.</summary>
    private static string Documents()
    {
        string dir = Path.Combine(TestPaths.NewTempDir(), "docs");
        Directory.CreateDirectory(dir);
        CaptionedTableDocument.Write(dir);
        return dir;
    }

    private static List<JsonElement> Lines(string path) => [.. File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement)];

    private static string Title(JsonElement e) => e.GetProperty("title").GetString()!;

    /// <summary>The index's titles of <paramref name="documents"/> at <see cref="ChunkTokens"/> tokens, 8 overlapping, one of them with the caption.</summary>
    private static List<string> IndexTitles(string documents, string model)
    {
        string index = Path.Combine(TestPaths.NewTempDir(), "index");
        var b = InProcessSkald.Capture("index", "build", "--model", model, "--documents", documents, "--output", index, "--chunk-tokens", ChunkTokens, "--overlap-tokens", "8");
        Assert.True(b.ExitCode == 0, b.Stderr);
        var titles = Lines(Path.Combine(index, "records.jsonl")).Select(Title).ToList();
        Assert.Contains("Reisesatser \u2013 " + Caption, titles); // the case under test occurs
        return titles;
    }

    [Fact]
    public void IctPassagesUnderATableCaptionCarryItInTheirTitleAsTheIndexDoes()
    {
        string documents = Documents(), output = Path.Combine(TestPaths.NewTempDir(), "data");
        string model = TestPaths.FixtureModel("bert-cased-mean");
        var r = InProcessSkald.Capture("data", "generate", "--documents", documents, "--output", output, "--generator", "ict", "--no-headings",
            "--tokenizer", model, "--chunk-tokens", ChunkTokens, "--overlap-tokens", "8", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        // one passage per chunk, in the index's order; ICT takes sentences out of the text, never out of the title
        Assert.Equal(IndexTitles(documents, model), Lines(Path.Combine(output, "corpus.jsonl")).Select(Title));
    }

    [Fact]
    public void LlmPassagesUnderATableCaptionCarryItInTheirTitleAndThePromptAsTheIndexDoes()
    {
        string documents = Documents(), output = Path.Combine(TestPaths.NewTempDir(), "data");
        string model = TestPaths.FixtureModel("bert-cased-mean");
        using var server = new FakeChatServer((_, _) => FakeChatServer.Reply.Good);
        var r = InProcessSkald.Capture("data", "generate", "--documents", documents, "--output", output, "--generator", "llm", "--llm", server.Url,
            "--llm-model", "fake", "--tokenizer", model, "--chunk-tokens", ChunkTokens, "--overlap-tokens", "8", "--api-key-env", "SKALD_TEST_NO_SUCH_KEY", "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(IndexTitles(documents, model), Lines(Path.Combine(output, "corpus.jsonl")).Select(Title));
        Assert.Contains(server.Prompts, p => p.User.Contains($"Overskrift: Reisesatser \u2013 {Caption}\n\nTekst:\n", StringComparison.Ordinal));
    }
}
