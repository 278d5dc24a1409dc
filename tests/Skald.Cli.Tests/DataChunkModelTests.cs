using System.Text.Json;
using Skald.Tokenizers;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald data generate --tokenizer MODEL</c>: passages default to what the model reads of one (its max_seq_length less
/// special tokens and its document prompt, as <c>index build</c> sizes chunks), so training and evaluation see them whole;
/// a larger --chunk-tokens given on purpose is a warning.
/// </summary>
public sealed class DataChunkModelTests
{
    private static readonly string Model = TestPaths.FixtureModel("bert-cased-mean"); // max_seq_length 64
    private static string Documents => SampleDocuments.Folder;

    private static int[] PassageTokens(string output)
    {
        var tokenizer = Tokenizer.FromFile(Path.Combine(Model, "tokenizer.json"));
        return [.. File.ReadLines(Path.Combine(output, "corpus.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!)
            .Select(t => tokenizer.Encode(t, false).Ids.Length)];
    }

    // max_seq_length 64 less the special tokens and the document prompt ("passage: ", the fixture's), as index build counts
    private static int Room()
    {
        var tokenizer = Tokenizer.FromFile(Path.Combine(Model, "tokenizer.json"));
        return 64 - tokenizer.Encode("", true).Ids.Length - tokenizer.Encode("passage: ", false).Ids.Length;
    }

    [Fact]
    public void PassagesFitTheModelUnlessAskedOtherwise()
    {
        int room = Room();
        string output = Path.Combine(TestPaths.NewTempDir(), "set");
        var r = InProcessSkald.Capture("data", "generate", "--documents", Documents, "--output", output, "--tokenizer", Model);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.DoesNotContain("warning", r.Stderr);
        var fits = PassageTokens(output);
        Assert.All(fits, n => Assert.InRange(n, 1, room));

        string wide = Path.Combine(TestPaths.NewTempDir(), "wide");
        r = InProcessSkald.Capture("data", "generate", "--documents", Documents, "--output", wide, "--tokenizer", Model, "--chunk-tokens", "200");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"warning: chunks of 200 tokens are more than the {room} tokens {Model} reads of a passage (max_seq_length 64 less special tokens and prompt)", r.Stderr);
        Assert.Contains(PassageTokens(wide), n => n > room); // the sample documents have sections longer than the model reads
    }

    [Fact]
    public void APipelineGenerateStageFitsTheModelToo()
    {
        int room = Room();
        string dir = TestPaths.NewTempDir(), output = Path.Combine(dir, "run"), config = Path.Combine(dir, "pipeline.yaml");
        File.WriteAllText(config, $$"""
            output: {{output}}
            stages:
              - {name: gen, type: generate, documents: ['{{Documents}}'], tokenizer: '{{Model}}'}
            """);
        var r = InProcessSkald.Capture("pipeline", "--config", config);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.All(PassageTokens(Path.Combine(output, "gen")), n => Assert.InRange(n, 1, room));
    }
}
