using Skald.Tensors;
using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Data;

/// <summary>
/// FlagEmbedding's run-wide data options (<c>data.query_instruction_for_retrieval</c> / <c>_format</c>,
/// <c>data.passage_instruction_for_retrieval</c> / <c>_format</c>, <c>data.shuffle_ratio</c>) against statements of
/// upstream's AbsEmbedderTrainDataset: a row's prompt takes the query instruction's place in its format, every drawn
/// document gets the passage instruction, and a drawn positive over 100 code points is, with the ratio's chance, cut
/// into three pieces of ⌊n / 3⌋ + 1 that are joined in a random order by spaces, deterministically in (seed, epoch, line).
/// </summary>
public sealed class FlagEmbeddingInstructionsTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    private static readonly string Long = string.Concat(Enumerable.Range(0, 12).Select(i => $"Setning {i:D2}. ")); // 144 letters

    private string Flag(int groups, bool prompt = false) => InfraPaths.WriteFile(dir, "flag.jsonl", string.Concat(Enumerable.Range(0, groups).Select(i =>
        $"{{\"query\": \"spørsmål {i}\", \"pos\": [\"{Long}{i}\"], \"neg\": [\"nei {i}\", \"nei igjen {i}\"]" +
        (prompt && i % 2 == 0 ? $", \"prompt\": \"Eget {i}: \"" : "") + "}\n")));

    private TextDataset Train(string data, string keys = "") => TrainingRun.ReadData(ConfigLoader.Parse($"""
        model:
          path: m
        data:
          train: {data}
          train_group_size: 3
        {keys}
        output:
          dir: out
        """, "test.yaml")).Train[0];

    [Fact]
    public void QueryInstruction_TheRowsPromptTakesItsPlace_PassageInstructionOnEveryDocument()
    {
        // (single quotes: the format's \n is two characters, which upstream reads as a line break)
        var d = Train(Flag(4, prompt: true), "  query_instruction_for_retrieval: \"Finn svaret: \"\n" +
            "  query_instruction_format: '<i>{}</i>\\n{}'\n  passage_instruction_for_retrieval: \"Passasje: \"");
        Assert.Equal("<i>Eget 0: </i>\nspørsmål 0", d.Rows[0][0]); // upstream: format(data['prompt'] if 'prompt' in data else instruction, query)
        Assert.Equal("<i>Finn svaret: </i>\nspørsmål 1", d.Rows[1][0]);
        Assert.All(d.Rows, r => Assert.All(r.Skip(1), t => Assert.StartsWith("Passasje: ", t, StringComparison.Ordinal)));
        Assert.Equal(["Passasje: nei 1", "Passasje: nei igjen 1"], d.Rows[1].Skip(2).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void WithoutTheQueryInstruction_ARowsPromptIsNotRead_AnEmptyOneWritesItBeforeItsQuery()
    {
        // upstream reads data['prompt'] only inside `if query_instruction_for_retrieval is not None`
        var d = Train(Flag(2, prompt: true));
        Assert.Equal("spørsmål 0", d.Rows[0][0]);
        Assert.Equal("spørsmål 1", d.Rows[1][0]);
        var e = Train(Flag(2, prompt: true), "  query_instruction_for_retrieval: \"\"");
        Assert.Equal("Eget 0: spørsmål 0", e.Rows[0][0]); // "{}{}".format(prompt, query)
        Assert.Equal("spørsmål 1", e.Rows[1][0]); // "{}{}".format("", query)
    }

    [Theory]
    [InlineData("{}{}", "IT")]
    [InlineData("{0}\n{1}", "I\nT")]
    [InlineData("{1}", "T")]
    [InlineData("{{x}}{}: {}", "{x}I: T")]
    public void Format_IsPythonsStrFormatOverTwoArguments(string format, string expected) =>
        Assert.Equal(expected, InstructionFormat.Apply(format, "I", "T"));

    [Theory]
    [InlineData("{name}{}")]
    [InlineData("{}{}{}")]
    [InlineData("{0}{}")]
    [InlineData("{}}")]
    [InlineData("{")]
    [InlineData("{0:>5}")]
    public void Format_WhatPythonRefuses_IsAProblem(string format) => Assert.NotNull(InstructionFormat.Problem(format));

    [Theory]
    [InlineData("query_instruction_for_retrieval: q\n  query_instruction_format: \"{x}{}\"", "test.yaml:7: data.query_instruction_format")]
    [InlineData("query_instruction_format: \"{}: {}\"", "test.yaml:6: data.query_instruction_format formats data.query_instruction_for_retrieval, which is not set")]
    [InlineData("passage_instruction_format: \"{}: {}\"", "test.yaml:6: data.passage_instruction_format formats data.passage_instruction_for_retrieval, which is not set")]
    [InlineData("shuffle_ratio: 1.5", "test.yaml:6: data.shuffle_ratio must be between 0 and 1")]
    public void BadKeys_AreOneLineNamingTheKey(string keys, string message)
    {
        var e = Assert.Throws<TrainingException>(() => Train(Flag(2), "  " + keys));
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OptionsWithoutAFlagEmbeddingFile_AreOneLine()
    {
        string pairs = InfraPaths.WriteFile(dir, "pairs.jsonl", "{\"anchor\": \"a\", \"positive\": \"b\"}\n");
        var e = Assert.Throws<TrainingException>(() => TrainingRun.ReadData(ConfigLoader.Parse($"""
            model:
              path: m
            data:
              train: {pairs}
              passage_instruction_for_retrieval: "p: "
            output:
              dir: out
            """, "test.yaml")));
        Assert.StartsWith("data.passage_instruction_for_retrieval", e.Message, StringComparison.Ordinal);
    }

    /// <summary>The three pieces of upstream's rule, cut by code points, and their six orders joined by spaces.</summary>
    private static HashSet<string> Shuffles(string text)
    {
        var points = text.EnumerateRunes().Select(r => r.ToString()).ToArray();
        int size = points.Length / 3 + 1;
        var pieces = Enumerable.Range(0, 3).Select(k => string.Concat(points.Skip(k * size).Take(size))).ToArray();
        int[][] orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
        return [.. orders.Select(o => string.Join(" ", o.Select(i => pieces[i])))];
    }

    [Fact]
    public void ShuffleText_IsUpstreamsRule()
    {
        string text = Long + "slutt";
        var seen = new HashSet<string>();
        for (ulong s = 0; s < 200; s++) seen.Add(FlagEmbeddingInstructions.ShuffleText(text, 1, new SkaldRandom(s)));
        Assert.Equal(Shuffles(text), seen); // every order, the identity too (it still gains the two spaces), and nothing else
        int shuffled = 0;
        for (ulong s = 0; s < 4000; s++) shuffled += FlagEmbeddingInstructions.ShuffleText(text, 0.3, new SkaldRandom(s)) == text ? 0 : 1;
        Assert.InRange(shuffled / 4000.0, 0.27, 0.33);
        Assert.Equal(text, FlagEmbeddingInstructions.ShuffleText(text, 0, new SkaldRandom(1)));
        // Python's len counts code points: 98 letters and two emoji (102 UTF-16 units) are 100, not over 100.
        string hundred = new string('a', 98) + "😀😀", hundredAndOne = new string('a', 99) + "😀😀";
        Assert.Equal(hundred, FlagEmbeddingInstructions.ShuffleText(hundred, 1, new SkaldRandom(3)));
        Assert.Contains(FlagEmbeddingInstructions.ShuffleText(hundredAndOne, 1, new SkaldRandom(3)), Shuffles(hundredAndOne));
    }

    [Fact]
    public void ShuffleRatio_ShufflesTheDrawnPositiveOnly_DeterministicInSeedEpochAndLine()
    {
        string file = Flag(40);
        var d = Train(file, "  shuffle_ratio: 0.5\n  passage_instruction_for_retrieval: \"P: \"");
        var rows0 = d.ForEpoch(42, 0).Rows;
        int shuffled = 0;
        for (int r = 0; r < rows0.Count; r++)
        {
            string positive = $"{Long}{r}";
            Assert.Equal($"spørsmål {r}", rows0[r][0]);
            Assert.StartsWith("P: ", rows0[r][1], StringComparison.Ordinal); // the instruction after the shuffle
            string body = rows0[r][1][3..];
            if (body != positive)
            {
                Assert.Contains(body, Shuffles(positive));
                shuffled++;
            }
            Assert.All(rows0[r].Skip(2), n => Assert.StartsWith($"P: nei ", n, StringComparison.Ordinal));
        }
        Assert.InRange(shuffled, 10, 30);
        Assert.Equal(rows0, d.ForEpoch(42, 0).Rows); // the same (seed, epoch): the same rows
        Assert.NotEqual(rows0, d.ForEpoch(42, 1).Rows);
        var heldOut = d.Select([.. Enumerable.Range(5, 35)]).ForEpoch(42, 0).Rows; // a group keeps its draws whatever else is there
        Assert.Equal(rows0.Skip(5), heldOut);
        var plain = Train(file).ForEpoch(42, 0).Rows; // ratio 0 draws nothing more: the same documents, unshuffled
        for (int r = 0; r < rows0.Count; r++) Assert.Equal(plain[r].Skip(2).Select(n => "P: " + n), rows0[r].Skip(2));
    }
}
