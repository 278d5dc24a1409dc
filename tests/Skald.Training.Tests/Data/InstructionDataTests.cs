using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Data.Instructions;

namespace Skald.Training.Tests.Data;

/// <summary>Instruction data for supervised fine-tuning: Alpaca and chat rows, formatting, bad rows, length grouping.</summary>
public sealed class InstructionDataTests
{
    private static string Training(string name) => Path.Combine(Skald.Tests.Repository.Root, "fixtures", "training", name);

    private static string Temp(string name, string text)
    {
        string dir = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void AlpacaRowsGetAlpacasPromptWithAndWithoutInput()
    {
        var d = InstructionDatasetReader.Read(Training("sft-alpaca.jsonl"));
        Assert.Equal(["prompt", "response"], d.Columns);
        Assert.Equal(24, d.Count);
        Assert.Equal("Below is an instruction that describes a task, paired with an input that provides further context. Write a response " +
            "that appropriately completes the request.\n\n### Instruction:\nÖversätt till engelska.\n\n### Input:\nHej, hur mår du?\n\n### Response:\n", d.Rows[0][0]);
        Assert.Equal("Hi, how are you?", d.Rows[0][1]);
        Assert.EndsWith("### Instruction:\nVad är huvudstaden i Sverige?\n\n### Response:\n", d.Rows[1][0]);
        Assert.DoesNotContain("### Input:", d.Rows[1][0]);
    }

    [Fact]
    public void ChatRowsTrainTheLastAssistantTurnAndAChatTemplateWritesTheRest()
    {
        var d = InstructionDatasetReader.Read(Training("sft-chat.jsonl"));
        Assert.Equal("Du är en hjälpsam assistent.\n\n### Instruction:\nVad är huvudstaden i Sverige?\n\n### Response:\n", d.Rows[0][0]);
        Assert.Equal("Stockholm.", d.Rows[0][1]);
        Assert.Contains("### Response:\nHej! Hur kan jag hjälpa dig?\n\n### Instruction:\nVad är 2 plus 2?", d.Rows[1][0]);
        Assert.Equal("4", d.Rows[1][1]);

        var chatml = InstructionDatasetReader.Read(Training("sft-chat.jsonl"), new ChatMl());
        Assert.Equal("<|im_start|>system\nDu är en hjälpsam assistent.<|im_end|>\n<|im_start|>user\nVad är huvudstaden i Sverige?<|im_end|>\n<|im_start|>assistant\n",
            chatml.Rows[0][0]);
        Assert.Equal("Stockholm.<|im_end|>\n", chatml.Rows[0][1]); // the template's end of turn is learned too
        var alpaca = InstructionDatasetReader.Read(Training("sft-alpaca.jsonl"), new ChatMl());
        Assert.Equal("<|im_start|>user\nÖversätt till engelska.\n\nHej, hur mår du?<|im_end|>\n<|im_start|>assistant\n", alpaca.Rows[0][0]);
    }

    [Theory]
    [InlineData("{\"instruction\": \"a\", \"input\": \"\"}", "sft.jsonl:2: the row has no output")]
    [InlineData("{\"instruction\": \"a\", \"output\": \"  \"}", "sft.jsonl:2: the row has no output")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hej\"}]}", "sft.jsonl:2: the row has no output")]
    [InlineData("{\"output\": \"x\"}", "sft.jsonl:2: no instruction")]
    [InlineData("{\"messages\": [{\"role\": \"user\"}]}", "sft.jsonl:2: every message needs")]
    [InlineData("{\"instruction\": 3, \"output\": \"x\"}", "sft.jsonl:2: 'instruction' must be a string")]
    // a lone surrogate escape (valid JSON, no text) was an InvalidOperationException, an internal error
    [InlineData("{\"instruction\": \"\\ud800\", \"output\": \"x\"}", "sft.jsonl:2: field \"instruction\" holds a lone UTF-16 surrogate escape")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hej\"}, {\"role\": \"assistant\", \"content\": \"\\udfff\"}]}", "sft.jsonl:2: field \"content\" holds a lone UTF-16 surrogate escape")]
    public void ABadRowIsOneLineNamingFileAndLine(string row, string expected)
    {
        string path = Temp("sft.jsonl", "{\"instruction\": \"a\", \"output\": \"b\"}\n" + row + "\n");
        var e = Assert.Throws<TrainingException>(() => InstructionDatasetReader.Read(path));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void LengthGroupingSortsMegaBatchesLongestFirstAndKeepsEveryRow()
    {
        var lengths = Enumerable.Range(0, 40).Select(i => (i * 37) % 23 + 1).ToArray();
        var order = Enumerable.Range(0, 40).Reverse().ToArray();
        var grouped = BatchPlanner.GroupByLength(order, lengths, batchSize: 2); // mega-batches of 100 rows: one here
        Assert.Equal(order.Order(), grouped.Order());
        Assert.Equal(lengths.Max(), lengths[grouped[0]]);
        for (int i = 1; i < grouped.Length; i++) Assert.True(lengths[grouped[i - 1]] >= lengths[grouped[i]]);

        var d = new TextDataset("x", ["prompt", "response"], [.. Enumerable.Range(0, 40).Select(i => new[] { $"p{i}", "r" })]) { Lengths = lengths };
        var plan = BatchPlanner.PlanEpoch([d], 4, shuffle: true, noDuplicates: false, "round_robin", seed: 3, epoch: 0, groupByLength: true);
        Assert.Equal(Enumerable.Range(0, 40), plan.SelectMany(b => b.Rows).Order());
        double spread = plan.Average(b => b.Rows.Max(r => lengths[r]) - b.Rows.Min(r => lengths[r]));
        var plain = BatchPlanner.PlanEpoch([d], 4, shuffle: true, noDuplicates: false, "round_robin", seed: 3, epoch: 0);
        Assert.True(spread < plain.Average(b => b.Rows.Max(r => lengths[r]) - b.Rows.Min(r => lengths[r])));
    }

    [Fact]
    public void TheConfigTakesCausalLmAndItsKeys()
    {
        var c = ConfigLoader.Parse("""
            model: {path: m}
            data: {train: [a.jsonl], prompt_format: alpaca}
            training: {group_by_length: true}
            loss: {type: causal_lm, max_seq_length: 512}
            output: {dir: o}
            """, "c.yaml");
        Assert.Equal("causal_lm", c.Loss.Type);
        Assert.Equal(512, c.Loss.MaxSeqLength);
        Assert.Equal("alpaca", c.Data.PromptFormat);
        Assert.True(c.Training.GroupByLength);
        Assert.False(c.Training.NoDuplicates);
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse("""
            model: {path: m}
            data: {train: [a.jsonl], prompt_format: jinja}
            loss: {type: causal_lm}
            output: {dir: o}
            """, "c.yaml"));
        Assert.Contains("prompt_format", e.Message);
    }

    /// <summary>ChatML as Qwen2's template writes it (system turn given), for the chat-template path.</summary>
    private sealed class ChatMl : IChatPromptFormat
    {
        public string Render(IReadOnlyList<InstructionMessage> messages, bool addGenerationPrompt) =>
            string.Concat(messages.Select(m => $"<|im_start|>{m.Role}\n{m.Content}<|im_end|>\n")) + (addGenerationPrompt ? "<|im_start|>assistant\n" : "");
    }
}
