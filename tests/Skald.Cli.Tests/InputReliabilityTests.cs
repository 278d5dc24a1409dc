namespace Skald.Cli.Tests;

/// <summary>Hostile input files: one line naming the file and line, exit 1, nothing written (issue 18).</summary>
public sealed class InputReliabilityTests
{
    private readonly string dir = TestPaths.NewTempDir();

    private string Write(string name, string text) => TestPaths.WriteFile(dir, name, text);

    [Fact]
    public void LoneSurrogateInEncodeInputIsNamedByLine()
    {
        string input = Write("in.jsonl", "{\"text\": \"Hei\"}\n{\"text\": \"Hei \\ud800 du\"}\n");
        string output = Path.Combine(dir, "o.jsonl");
        var r = InProcessSkald.Capture("encode", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--input", input, "--output", output);
        SkaldProcess.AssertUserError(r, 1, input + ":2", "lone UTF-16 surrogate escape");
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void AFolderGivenAsAConfigOrADataFileIsNamedAsAFolder()
    {
        // .NET reads a folder as "Access to the path is denied"; the config reader says what it is, and a data folder (read
        // as FlagEmbedding's folder of data sets, its .json/.jsonl files) says it has none
        string folderConfig = Path.Combine(dir, "c.yaml"), folderData = Path.Combine(dir, "pairs.jsonl");
        Directory.CreateDirectory(folderConfig);
        Directory.CreateDirectory(folderData);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("train", "--config", folderConfig), 1, folderConfig + ": is a folder, expected a config file");
        string config = Write("t.yaml", $"model:\n  path: {TestPaths.FixtureModel("bert-cased-mean")}\ndata:\n  train: {folderData}\noutput:\n  dir: {Path.Combine(dir, "out")}\n");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("train", "--config", config), 1, folderData + ": a folder without .json or .jsonl files");
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
    }

    [Fact]
    public void LoneSurrogateInTokenizeInputIsNamedByLine()
    {
        string input = Write("in.jsonl", "{\"text\": \"\\udc00\"}\n");
        var r = InProcessSkald.Capture("tokenize", "--tokenizer", Path.Combine(TestPaths.FixtureModel("bert-cased-mean"), "tokenizer.json"),
            "--input", input, "--output", Path.Combine(dir, "o.jsonl"));
        SkaldProcess.AssertUserError(r, 1, input + ":1", "lone UTF-16 surrogate escape");
    }

    [Fact]
    public void LoneSurrogateInTrainingDataIsNamedByLineAndColumn()
    {
        string data = Write("pairs.jsonl", string.Concat(Enumerable.Range(0, 8).Select(i =>
            i == 5 ? "{\"anchor\": \"a \\ud800\", \"positive\": \"b\"}\n" : $"{{\"anchor\": \"spørsmål {i}\", \"positive\": \"svar {i}\"}}\n")));
        string config = Write("c.yaml", $"""
            model:
              path: {TestPaths.FixtureModel("bert-cased-mean")}
            data:
              train: {data}
            training:
              batch_size: 4
              max_steps: 2
            output:
              dir: {Path.Combine(dir, "out")}
            """);
        var r = InProcessSkald.Capture("train", "--config", config);
        SkaldProcess.AssertUserError(r, 1, data + ":6", "field \"anchor\"", "lone UTF-16 surrogate escape");
        Assert.False(Directory.Exists(Path.Combine(dir, "out", "final")));
    }

    [Fact]
    public void StsWithConstantGoldScoresReportsNullAndWhy()
    {
        string task = Write("sts.tsv", "sentence1\tsentence2\tscore\nHei\tHallo\t3\nBil\tKatt\t3\nHuset er rødt\tDet røde huset\t3\n");
        string output = Path.Combine(dir, "r.json");
        var r = InProcessSkald.Capture("evaluate", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--task", task, "--type", "sts",
            "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("cosine_spearman = undefined (correlation is undefined: every gold score is the same)", r.Stderr);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(output))!;
        Assert.Null(json["main_score"]);
        Assert.Null(json["metrics"]!["cosine_pearson"]);
        Assert.Equal("correlation is undefined: every gold score is the same", json["metadata"]!["note"]!.GetValue<string>());
    }

    [Fact]
    public void OutputEqualToInputIsRefusedAndTheInputKept()
    {
        const string Texts = "{\"text\": \"Hei\"}\n{\"text\": \"Hallo\"}\n";
        string input = Write("texts.jsonl", Texts);
        var r = InProcessSkald.Capture("encode", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--input", input, "--output", input);
        SkaldProcess.AssertUserError(r, 2, "--output", "is the input");
        Assert.Equal(Texts, File.ReadAllText(input));
        var t = InProcessSkald.Capture("tokenize", "--tokenizer", Path.Combine(TestPaths.FixtureModel("bert-cased-mean"), "tokenizer.json"),
            "--input", input, "--output", Path.Combine(dir, ".", "texts.jsonl"));
        SkaldProcess.AssertUserError(t, 2, "--output", "is the input");
        Assert.Equal(Texts, File.ReadAllText(input));
    }

    [Fact]
    public void WhatAKilledWriterLeftIsCleanedUpByTheNextRun()
    {
        // PID 99999999 is above Linux's pid_max: no such process runs.
        string input = Write("texts.txt", "Hei\n");
        string output = Path.Combine(dir, "o.jsonl");
        string staleFile = Path.Combine(dir, ".tmp-o.jsonl-99999999");
        File.WriteAllText(staleFile, "[0.1, 0.2");
        var r = InProcessSkald.Capture("encode", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--input", input, "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.False(File.Exists(staleFile));
        Assert.True(File.Exists(output));
        Assert.Empty(Directory.GetFileSystemEntries(dir, ".tmp-*"));
    }

    [Fact]
    public void CarriageReturnOnlyLinesAreLinesNotOneText()
    {
        string input = Write("mac.txt", "første\randre\rtredje\r");
        string output = Path.Combine(dir, "o.jsonl");
        var r = InProcessSkald.Capture("encode", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--input", input, "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(3, File.ReadAllLines(output).Length);
    }

    [Fact]
    public void InvalidUtf8IsNamedByLineAndOffset()
    {
        string input = Path.Combine(dir, "latin1.txt");
        File.WriteAllBytes(input, [.. "første\nandre\n"u8, (byte)'b', 0xE6, (byte)'r', (byte)'\n']); // "bær" in Latin-1 on line 3
        var r = InProcessSkald.Capture("encode", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--input", input,
            "--output", Path.Combine(dir, "o.jsonl"));
        SkaldProcess.AssertUserError(r, 1, input + ":3", "not valid UTF-8 (byte 0xE6 at offset 15)");
        string data = Path.Combine(dir, "pairs.csv");
        File.WriteAllBytes(data, [.. "anchor,positive\nhei,hallo\n"u8, 0xFF, (byte)',', (byte)'x', (byte)'\n']);
        string config = Write("c.yaml", $"""
            model:
              path: {TestPaths.FixtureModel("bert-cased-mean")}
            data:
              train: {data}
            output:
              dir: {Path.Combine(dir, "out")}
            """);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("train", "--config", config), 1, data + ":3", "not valid UTF-8 (byte 0xFF");
    }

    [Fact]
    public void AConfigThatIsNotUtf8IsNamedByLineAndOffset()
    {
        // a Latin-1 instruction was read as "Gitt et sp\uFFFDrsm\uFFFDl" and trained into every query without a word
        string config = Path.Combine(dir, "c.yaml");
        byte[] head = [.. System.Text.Encoding.UTF8.GetBytes($"model:\n  path: {TestPaths.FixtureModel("bert-cased-mean")}\ndata:\n  train: x.jsonl\n  instruction: Gitt et sp")];
        File.WriteAllBytes(config, [.. head, 0xF8, .. "rsm\u00e5l\noutput:\n  dir: out\n"u8]);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("train", "--config", config), 1, $"{config}:5: not valid UTF-8 (byte 0xF8 at offset {head.Length})");
        // and a pipeline file, read by the same loader
        string pipeline = Path.Combine(dir, "p.yaml");
        File.WriteAllBytes(pipeline, [.. "output: ut\nstages:\n  - {name: tok, type: tokenizer, corpus: b"u8, 0xE6, .. "r.txt}\n"u8]);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("pipeline", "--config", pipeline), 1, $"{pipeline}:3: not valid UTF-8 (byte 0xE6 at offset 61)");
    }

    [Fact]
    public void AnUnwritableOutputIsNamedAsGiven()
    {
        string input = Write("in.txt", "Hei\n");
        var r = InProcessSkald.Capture("encode", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--input", input, "--output", "/proc/skald-x.jsonl");
        SkaldProcess.AssertUserError(r, 1, "/proc/skald-x.jsonl: cannot write there");
        Assert.DoesNotContain(".tmp-", r.Stderr);
    }
}
