using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Skald.Cli.Tests;

/// <summary>
/// A tokenizer.json is untrusted input: a runaway regex, an absurd id or a missing unk token is one line naming the
/// file and key, exit 1, and no output file (issue 18).
/// </summary>
public sealed class TokenizerReliabilityTests
{
    private readonly string dir = TestPaths.NewTempDir();

    private string Tokenizer(Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "tokenizers", "wordpiece-cased", "tokenizer.json")))!.AsObject();
        edit(json);
        string path = Path.Combine(dir, $"t{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    private (SkaldProcess.Result Result, string Output) Tokenize(string tokenizer, string text)
    {
        string input = Path.Combine(dir, "in.txt"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllText(input, text + "\n");
        return (InProcessSkald.Capture("tokenize", "--tokenizer", tokenizer, "--input", input, "--output", output), output);
    }

    [Fact]
    public void CatastrophicRegexFailsInSecondsNamingThePattern()
    {
        string tok = Tokenizer(t => t["pre_tokenizer"] = new JsonObject
        {
            ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = "(a+)+$" }, ["behavior"] = "Isolated", ["invert"] = false,
        });
        // the match is cut off after 2 s (the line says so), not left to run its 2^40 steps: no clock of the test's own
        var (r, output) = Tokenize(tok, new string('a', 40) + "b");
        SkaldProcess.AssertUserError(r, 1, tok, "pre_tokenizer", "regex \"(a+)+$\" did not finish within 2 s", "catastrophic backtracking");
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void HugeVocabularyIdIsNamed()
    {
        string tok = Tokenizer(t => t["model"]!["vocab"]!["zzz"] = int.MaxValue);
        var (r, output) = Tokenize(tok, "hei");
        SkaldProcess.AssertUserError(r, 1, tok, "id 2147483647 of token \"zzz\" is beyond any real vocabulary", "model.vocab");
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void UnkTokenMissingFromTheVocabularyIsNamedAtLoad()
    {
        string tok = Tokenizer(t => t["model"]!["vocab"]!.AsObject().Remove("[UNK]"));
        var (r, _) = Tokenize(tok, "hei"); // a known word: the error comes from loading, not from meeting an unknown word
        SkaldProcess.AssertUserError(r, 1, tok, "unk_token \"[UNK]\" is not in the vocabulary", "model.unk_token");
    }

    [Fact]
    public void EmptyVocabularyIsNamed()
    {
        string tok = Tokenizer(t => t["model"]!["vocab"] = new JsonObject());
        var (r, _) = Tokenize(tok, "hei");
        SkaldProcess.AssertUserError(r, 1, tok, "the vocabulary is empty");
    }

    [Fact]
    public void AVocabularyThatIsNotUtf8IsNamedByOffset()
    {
        // a token saved in Latin-1 ("bær") was read as "b\uFFFDr": the vocabulary differed from the file without a word
        string tok = Tokenizer(t => t["model"]!["vocab"]!["b~r"] = 30000);
        byte[] bytes = File.ReadAllBytes(tok);
        int at = System.Text.Encoding.ASCII.GetString(bytes).IndexOf("\"b~r\"", StringComparison.Ordinal) + 2;
        bytes[at] = 0xE6;
        File.WriteAllBytes(tok, bytes);
        var (r, output) = Tokenize(tok, "hei");
        SkaldProcess.AssertUserError(r, 1, $"{tok}:1: not valid UTF-8 (byte 0xE6 at offset {at}); save the file as UTF-8");
        Assert.False(File.Exists(output));
    }
}
