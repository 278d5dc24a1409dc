using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald generate --json</c>, <c>--json-schema FILE</c>, <c>--logprobs</c> and <c>--top-logprobs N</c> on the random
/// decoder fixture (whose free text is garbage): JSON-mode rows are JSON objects (or, out of tokens, prefixes of one);
/// schema rows validate against the schema by an independent validator; every new id has its log-probability entry,
/// the alternatives ordered and as many as asked, greedy's choice the most likely, and the first step's distribution
/// the same whether sampled or not; a resumed run keeps them; bad flags and schema files are one line and exit non-zero.
/// </summary>
public sealed class GenerateStructuredOutputTests
{
    private static readonly string Model = TestPaths.FixtureModel("decoder-llama3");

    private const string Flags = """
        {"type": "object", "properties": {"ok": {"type": "boolean"}, "n": {"type": "integer"}, "tag": {"enum": ["a", "b"]}}, "required": ["ok", "n"]}
        """;

    private static (string Dir, string Input, string Output) Files(int prompts = 4)
    {
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "in.jsonl");
        File.WriteAllLines(input, Enumerable.Range(0, prompts).Select(i => $"{{\"ids\": [5, 9, {12 + i}, 3, 44, {17 + 2 * i}]}}"));
        return (dir, input, Path.Combine(dir, "out.jsonl"));
    }

    private static List<JsonElement> Rows(string output) =>
        [.. File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement)];

    private static string[] Run(string input, string output, params string[] extra) =>
        ["generate", "--model", Model, "--input", input, "--output", output, .. extra];

    [Fact]
    public void SchemaRowsValidateAgainstTheSchema()
    {
        var (dir, input, output) = Files(6);
        string schema = Path.Combine(dir, "flags.schema.json");
        File.WriteAllText(schema, Flags);
        var r = InProcessSkald.Capture(Run(input, output, "--json-schema", schema, "--max-new-tokens", "110", "--temperature", "1", "--seed", "3"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        int complete = 0;
        foreach (var row in Rows(output))
        {
            string text = row.GetProperty("text").GetString()!;
            if (row.GetProperty("finish_reason").GetString() == "length")
            {
                Assert.True(JsonPrefix.CanBecomeObject(text), $"cut at the length, \"{text}\" is not a prefix of an object");
                continue;
            }
            Assert.True(JsonPrefix.IsObject(text), $"\"{text}\" is not a JSON object");
            Assert.Null(SchemaValidator.Problem(Flags, text));
            complete++;
        }
        Assert.True(complete >= 1, "no row closed its object in 110 tokens");
    }

    [Fact]
    public void JsonModeRowsAreJsonObjects()
    {
        var (_, input, output) = Files();
        var r = InProcessSkald.Capture(Run(input, output, "--json", "--max-new-tokens", "60", "--temperature", "1", "--seed", "5"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var rows = Rows(output);
        Assert.Equal(4, rows.Count);
        foreach (var row in rows)
        {
            string text = row.GetProperty("text").GetString()!;
            bool cut = row.GetProperty("finish_reason").GetString() == "length";
            Assert.True(cut ? JsonPrefix.CanBecomeObject(text) : JsonPrefix.IsObject(text), $"\"{text}\" ({(cut ? "cut" : "ended")})");
            Assert.StartsWith("{", text.TrimStart());
        }
    }

    private static (int Id, float LogProb) Token(JsonElement e) => (e.GetProperty("id").GetInt32(), e.GetProperty("logprob").GetSingle());

    [Fact]
    public void EveryNewTokenHasItsLogProbabilityAndTheAskedAlternatives()
    {
        var (_, input, greedyOut) = Files();
        var r = InProcessSkald.Capture(Run(input, greedyOut, "--logprobs", "--top-logprobs", "3", "--max-new-tokens", "8"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        string sampledOut = greedyOut + ".sampled.jsonl";
        r = InProcessSkald.Capture(Run(input, sampledOut, "--logprobs", "--top-logprobs", "3", "--max-new-tokens", "8", "--temperature", "1.3", "--seed", "7"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var greedy = Rows(greedyOut);
        var sampled = Rows(sampledOut);
        for (int row = 0; row < greedy.Count; row++)
        {
            foreach (var (rows, isGreedy) in new[] { (greedy, true), (sampled, false) })
            {
                int[] ids = [.. rows[row].GetProperty("ids").EnumerateArray().Select(x => x.GetInt32())];
                var content = rows[row].GetProperty("logprobs").GetProperty("content").EnumerateArray().ToList();
                Assert.Equal(ids.Length, content.Count);
                for (int i = 0; i < ids.Length; i++)
                {
                    var (id, logProb) = Token(content[i]);
                    Assert.Equal(ids[i], id);
                    Assert.True(logProb <= 0f, $"log p = {logProb}");
                    Assert.Equal(JsonValueKind.String, content[i].GetProperty("token").ValueKind);
                    var top = content[i].GetProperty("top_logprobs").EnumerateArray().Select(Token).ToList();
                    Assert.Equal(3, top.Count);
                    for (int k = 1; k < top.Count; k++) Assert.True(top[k].LogProb <= top[k - 1].LogProb, $"top {k} above top {k - 1}");
                    Assert.True(top.Sum(t => Math.Exp(t.LogProb)) <= 1.0 + 1e-5, "the alternatives' probabilities add up to more than 1");
                    if (isGreedy) Assert.Equal(top[0], (id, logProb)); // greedy takes the most likely token
                    else if (top.FindIndex(t => t.Id == id) is int at and >= 0) Assert.Equal(top[at].LogProb, logProb);
                }
            }
            // The first step's distribution is the prompt's, before any sampling: the same in both runs.
            var first = greedy[row].GetProperty("logprobs").GetProperty("content")[0].GetProperty("top_logprobs").EnumerateArray().Select(Token);
            var firstSampled = sampled[row].GetProperty("logprobs").GetProperty("content")[0].GetProperty("top_logprobs").EnumerateArray().Select(Token);
            Assert.Equal(first, firstSampled);
        }
    }

    [Fact]
    public void WithoutLogprobsRowsHaveNone()
    {
        var (_, input, output) = Files(1);
        Assert.Equal(0, InProcessSkald.Capture(Run(input, output, "--max-new-tokens", "3")).ExitCode);
        Assert.False(Rows(output)[0].TryGetProperty("logprobs", out _));
    }

    [Fact]
    public void AKilledRunResumesWithTheLogProbabilitiesOfTheJournalsRows()
    {
        // Rows taken from the journal must come back with their log-probabilities, to the bytes of an uninterrupted run.
        string dir = TestPaths.NewTempDir(), input = Path.Combine(dir, "in.jsonl");
        var random = new Random(5);
        File.WriteAllLines(input, Enumerable.Range(0, 150).Select(_ => JsonSerializer.Serialize(new { ids = Enumerable.Range(0, random.Next(2, 16)).Select(_ => random.Next(1, 250)) })));
        string full = Path.Combine(dir, "full.jsonl"), resumed = Path.Combine(dir, "resumed.jsonl"), journal = resumed + ".journal.jsonl";
        string[] options = ["--logprobs", "--top-logprobs", "2", "--max-new-tokens", "30", "--batch-size", "3", "--json"];
        Assert.Equal(0, InProcessSkald.Capture(Run(input, full, options)).ExitCode);
        JournalLines.KillAfter(Run(input, resumed, options), journal, 7, resumed);
        Assert.Contains("\"logprobs\"", File.ReadLines(journal).ElementAt(1), StringComparison.Ordinal);
        var r = InProcessSkald.Capture(Run(input, resumed, options));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("resuming:", r.Stderr, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(full), File.ReadAllBytes(resumed));
        Assert.False(File.Exists(journal));
    }

    [Fact]
    public void BadFlagsAndSchemaFilesAreOneLine()
    {
        var (dir, input, output) = Files(1);
        SkaldProcess.AssertUserError(InProcessSkald.Capture(Run(input, output, "--top-logprobs", "2")), 2, "--top-logprobs needs --logprobs");
        SkaldProcess.AssertUserError(InProcessSkald.Capture(Run(input, output, "--logprobs", "--top-logprobs", "21")), 2, "--top-logprobs 21", "20");
        SkaldProcess.AssertUserError(InProcessSkald.Capture(Run(input, output, "--logprobs", "--top-logprobs", "-1")), 2, "--top-logprobs");
        string schema = Path.Combine(dir, "s.json");
        File.WriteAllText(schema, Flags);
        SkaldProcess.AssertUserError(InProcessSkald.Capture(Run(input, output, "--json", "--json-schema", schema)), 2, "--json", "--json-schema");

        File.WriteAllText(schema, """{"type": "object", "properties": {"name": {"type": "string", "pattern": "^[a-z]+$"}}}""");
        SkaldProcess.AssertUserError(InProcessSkald.Capture(Run(input, output, "--json-schema", schema)), 1, schema + ": ", "\"pattern\"", "/properties/name/pattern");
        File.WriteAllText(schema, "{\"type\": \"object\",\n  \"properties\": {\"a\": }\n}");
        // the one JSON-file wording: the file's line and column (the '}' is the 23rd character of line 2), the parser's reason alone
        SkaldProcess.AssertUserError(InProcessSkald.Capture(Run(input, output, "--json-schema", schema)), 1,
            schema + ": not JSON (line 2, column 23): '}' is an invalid start of a value.");
        string missing = Path.Combine(dir, "missing.json");
        SkaldProcess.AssertUserError(InProcessSkald.Capture(Run(input, output, "--json-schema", missing)), 1, missing + ": file not found");
        Assert.False(File.Exists(output));
    }
}
