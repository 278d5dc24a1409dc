using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald generate</c>'s resume journal: a run killed (SIGKILL) mid-way and started again decodes only the batches it
/// had not finished and writes the bytes of an uninterrupted run, greedy and sampled; rows in the journal are not
/// decoded again, a torn last line is cut, a journal of other options is refused in one line, and the journal is gone
/// once the output is written. On the tiny decoder fixture, 200 prompts of 2 to 20 ids take about a second.
/// </summary>
public sealed class GenerateResumeTests
{
    private static readonly string Model = TestPaths.FixtureModel("decoder-qwen2");
    private const int Rows = 200, BatchSize = 3;

    private static int[][] Prompts()
    {
        var random = new Random(11);
        return [.. Enumerable.Range(0, Rows).Select(_ => Enumerable.Range(0, random.Next(2, 21)).Select(_ => random.Next(1, 280)).ToArray())];
    }

    private static (string Dir, string Input) Input()
    {
        string dir = TestPaths.NewTempDir(), input = Path.Combine(dir, "in.jsonl");
        File.WriteAllLines(input, Prompts().Select(p => JsonSerializer.Serialize(new { ids = p })));
        return (dir, input);
    }

    private static string[] Args(string input, string output, bool sampled, params string[] extra) =>
        ["generate", "--model", Model, "--input", input, "--output", output, "--max-new-tokens", "40", "--batch-size", $"{BatchSize}",
            .. sampled ? new[] { "--temperature", "1", "--top-p", "0.9", "--seed", "5" } : [], .. extra];

    private static string Generate(params string[] args)
    {
        var r = InProcessSkald.Capture(args);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return r.Stderr;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AKilledRunResumesToTheBytesOfAnUninterruptedOne(bool sampled)
    {
        var (dir, input) = Input();
        string full = Path.Combine(dir, "full.jsonl"), resumed = Path.Combine(dir, "resumed.jsonl"), journal = resumed + ".journal.jsonl";
        Generate(Args(input, full, sampled));
        Assert.False(File.Exists(full + ".journal.jsonl")); // deleted once the output was written
        JournalLines.KillAfter(Args(input, resumed, sampled), journal, 2, resumed);
        Assert.False(File.Exists(resumed));
        string log = Generate(Args(input, resumed, sampled));
        Assert.Matches($@"resuming: \d+ of {Rows} prompts already done \(journal {journal}\)", log);
        Assert.Equal(File.ReadAllBytes(full), File.ReadAllBytes(resumed));
        Assert.False(File.Exists(journal));
    }

    [Fact]
    public void RowsInTheJournalAreNotDecodedAgainAndATornLastLineIsCut()
    {
        var (dir, input) = Input();
        string full = Path.Combine(dir, "full.jsonl"), output = Path.Combine(dir, "out.jsonl"), journal = Path.Combine(dir, "my.journal");
        Generate(Args(input, full, sampled: true));
        JournalLines.KillAfter(Args(input, output, true, "--journal", journal), journal, 1 + 2 * BatchSize, output);
        // Every row in the journal gets a marker text, and the last line is cut in half, as a kill mid-write leaves it:
        // that row's batch is then incomplete and decoded again, whole; the complete batches' rows keep their markers.
        string written = File.ReadAllText(journal);
        var lines = written[..(written.LastIndexOf('\n') + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries); // a torn tail left out
        var tampered = new StringBuilder(lines[0] + "\n");
        var kept = new HashSet<int>();
        foreach (var line in lines.Skip(1))
        {
            var row = JsonNode.Parse(line)!.AsObject();
            int i = row["row"]!.GetValue<int>();
            row["text"] = $"MARKER {i}";
            kept.Add(i);
            tampered.Append(row.ToJsonString()).Append('\n');
        }
        string text = tampered.ToString();
        int lastStart = text.LastIndexOf('\n', text.Length - 2) + 1;
        kept.Remove(JsonNode.Parse(text[lastStart..])!["row"]!.GetValue<int>());
        File.WriteAllText(journal, text[..(lastStart + (text.Length - lastStart) / 2)]);

        // The batches, computed here: rows by prompt length (ties in input order), three at a time.
        var prompts = Prompts();
        var batches = Enumerable.Range(0, Rows).OrderBy(i => prompts[i].Length).Chunk(BatchSize).ToArray();
        var fromJournal = batches.Where(b => b.All(kept.Contains)).SelectMany(b => b).ToHashSet();
        Assert.NotEmpty(fromJournal);
        Assert.True(fromJournal.Count < kept.Count, "the torn line's batch mates are in the journal but decoded again");

        string log = Generate(Args(input, output, true, "--journal", journal));
        Assert.Contains($"resuming: {fromJournal.Count} of {Rows} prompts already done (journal {journal})", log);
        Assert.False(File.Exists(journal));
        var expected = File.ReadAllLines(full);
        var got = File.ReadAllLines(output);
        Assert.Equal(Rows, got.Length);
        for (int i = 0; i < Rows; i++)
        {
            if (!fromJournal.Contains(i))
            {
                Assert.Equal(expected[i], got[i]);
                continue;
            }
            var e = JsonNode.Parse(expected[i])!.AsObject();
            e["text"] = $"MARKER {i}";
            Assert.Equal(e.ToJsonString(), JsonNode.Parse(got[i])!.ToJsonString());
        }
    }

    [Fact]
    public void AJournalOfOtherOptionsIsRefusedInOneLine()
    {
        var (dir, input) = Input();
        string output = Path.Combine(dir, "out.jsonl"), journal = output + ".journal.jsonl";
        JournalLines.KillAfter(Args(input, output, false), journal, 2, output);
        var before = File.ReadAllBytes(journal);
        SkaldProcess.AssertUserError(InProcessSkald.Capture(Args(input, output, false, "--temperature", "0.5")),
            1, journal, "a journal of another run", "temperature", "delete it to start over, or pass another --journal");
        var other = Args(input, output, false);
        other[Array.IndexOf(other, "--batch-size") + 1] = "4";
        SkaldProcess.AssertUserError(InProcessSkald.Capture(other), 1, "a journal of another run (its batch_size differ");
        File.AppendAllText(input, JsonSerializer.Serialize(new { ids = new[] { 5, 6 } }) + "\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture(Args(input, output, false)), 1, "a journal of another run (its input differ");
        Assert.Equal(before, File.ReadAllBytes(journal));
        Assert.False(File.Exists(output));

        // a file that is not a journal is never cut or taken over, even one unterminated line of it
        string notes = Path.Combine(dir, "notes.txt");
        foreach (string content in new[] { "{\"row\": 1}\n", "my notes" })
        {
            File.WriteAllText(notes, content);
            SkaldProcess.AssertUserError(InProcessSkald.Capture(Args(input, output, false, "--journal", notes)), 1, "notes.txt: not a journal of skald generate",
                "pass another --journal");
            Assert.Equal(content, File.ReadAllText(notes));
        }
        SkaldProcess.AssertUserError(InProcessSkald.Capture(Args(input, output, false, "--journal", input)), 2, "--journal", "is the input");
        SkaldProcess.AssertUserError(InProcessSkald.Capture(Args(input, output, false, "--journal", output)), 2, "--journal", "is the --output file");
    }

    [Fact]
    public void APipelineAnswerStageResumesFromItsJournal()
    {
        // the answer stage keeps OUTPUT/NAME.journal.jsonl as generate keeps its journal; one of other settings is started over
        string dir = TestPaths.NewTempDir(), task = Path.Combine(dir, "task.jsonl");
        var random = new Random(3);
        File.WriteAllLines(task, Enumerable.Range(0, Rows).Select(i => JsonSerializer.Serialize(new
        {
            id = $"q{i}", prompt = string.Join(" ", Enumerable.Range(0, random.Next(1, 6)).Select(_ => "hej då vad heter du"[random.Next(0, 15)..])),
            reference = "x",
        })));
        string[] Pipeline(string name, int maxNew = 40)
        {
            string config = Path.Combine(dir, name + ".yaml");
            File.WriteAllText(config, $"output: {Path.Combine(dir, name)}\nstages:\n  - {{name: said, type: answer, model: '{Model}', task: '{task}', " +
                $"max_new_tokens: {maxNew}, prompt_format: plain, batch_size: {BatchSize}}}\n");
            return ["pipeline", "--config", config];
        }
        string Run(string[] args)
        {
            var r = InProcessSkald.Capture(args);
            Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
            return r.Stdout + r.Stderr;
        }
        Run(Pipeline("full"));
        var expected = File.ReadAllBytes(Path.Combine(dir, "full", "said.jsonl"));
        Assert.False(File.Exists(Path.Combine(dir, "full", "said.journal.jsonl")));
        string journal = Path.Combine(dir, "resumed", "said.journal.jsonl");
        JournalLines.KillAfter(Pipeline("resumed"), journal, 2);
        Assert.Matches($@"resuming: \d+ of {Rows} prompts already done \(journal {journal}\)", Run(Pipeline("resumed")));
        Assert.Equal(expected, File.ReadAllBytes(Path.Combine(dir, "resumed", "said.jsonl")));
        Assert.False(File.Exists(journal));
        // The same pipeline again keeps the finished stage (its mark); a run of other settings killed midway leaves its
        // journal and takes the mark away, so the first settings answer again, starting over rather than resuming.
        Assert.Contains("said (answer): done by an earlier run with the same settings, kept", Run(Pipeline("resumed")));
        JournalLines.KillAfter(Pipeline("resumed", maxNew: 30), journal, 2);
        string log = Run(Pipeline("resumed"));
        Assert.Contains($"{journal}: a journal of another run (its max_new_tokens differ from this run's); starting over", log);
        Assert.DoesNotContain("resuming", log);
        Assert.False(File.Exists(journal));
        Assert.Equal(expected, File.ReadAllBytes(Path.Combine(dir, "resumed", "said.jsonl")));
    }
}
