using System.Text.Json;
using System.Text.Json.Nodes;
using Skald.Training.Config;
using Skald.Training.Losses;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Losses;

/// <summary>
/// SFT with <c>data.prompt_format: chat_template</c>: the model's Jinja chat template (tokenizer_config.json) writes the
/// prompt and the response's end of turn, and the causal-LM loss masks exactly the prompt's tokens. The expected ids
/// are jinja2 + HF tokenizers' (fixtures/chat-templates/chat_ids.json, make_chat_ids.py).
/// </summary>
public sealed class ChatTemplateSftTests
{
    private static string Fixtures => Path.Combine(Skald.Tests.Repository.Root, "fixtures");

    private static JsonElement Expected(string model)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "chat-templates", "chat_ids.json")));
        return doc.RootElement.GetProperty(model).Clone();
    }

    // A temp copy of the decoder fixture with a chat template (the real one chat_ids.json names unless given).
    private static string ChatModel(string model, string? template = null)
    {
        string dir = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"), model);
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(Path.Combine(Fixtures, "models", model)))
        {
            if (!f.EndsWith(".jsonl", StringComparison.Ordinal)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        }
        var expected = Expected(model);
        var config = new JsonObject
        {
            ["chat_template"] = template ?? File.ReadAllText(Path.Combine(Fixtures, "chat-templates", "templates", expected.GetProperty("template").GetString()!)),
        };
        foreach (var p in expected.GetProperty("special_tokens").EnumerateObject()) config[p.Name] = p.Value.GetString();
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), config.ToJsonString());
        return dir;
    }

    private static TrainingConfig Config(string model, string format) => ConfigLoader.Parse($"""
        model:
          path: {model}
          dropout: 0
        data:
          train: {Path.Combine(Fixtures, "training", "sft-chat.jsonl")}
          prompt_format: {format}
        training:
          batch_size: 2
          max_steps: 1
        loss:
          type: causal_lm
          max_seq_length: 512
        output:
          dir: {Path.Combine(Path.GetDirectoryName(model)!, "run")}
          tensorboard: false
        """, "sft.yaml");

    private static int[] Ids(JsonElement a) => [.. a.EnumerateArray().Select(x => x.GetInt32())];

    [Theory]
    [InlineData("decoder-qwen2", "chat_template")]
    [InlineData("decoder-llama3", "chat_template")]
    [InlineData("decoder-llama3", "auto")]
    public void TheTemplateWritesThePromptAndOnlyItsTokensAreMasked(string name, string format)
    {
        var setup = TrainingRun.Build(Config(ChatModel(name), format));
        var loss = Assert.IsType<CausalLmLoss>(setup.Loss);
        var rows = setup.Train[0].Rows;
        var cases = Expected(name).GetProperty("sft").EnumerateArray().ToArray();
        Assert.Equal(cases.Length, rows.Count);
        for (int i = 0; i < cases.Length; i++)
        {
            Assert.Equal(cases[i].GetProperty("prompt").GetString(), rows[i][0]);
            Assert.Equal(cases[i].GetProperty("response").GetString(), rows[i][1]);
            int[] prompt = Ids(cases[i].GetProperty("prompt_ids")), response = Ids(cases[i].GetProperty("response_ids"));
            var (ids, labels) = loss.Sequence(rows[i][0], rows[i][1], out bool cut);
            Assert.False(cut);
            // no BOS of the tokenizer's own before the template's text (Llama's template writes <|begin_of_text|> itself)
            Assert.Equal([.. prompt, .. response, loss.EosId], ids);
            Assert.Equal([.. Enumerable.Repeat(CausalLmLoss.Ignore, prompt.Length), .. response, loss.EosId], labels);
        }
    }

    [Fact]
    public void AnUnsupportedTemplateIsOneLineNamingTheFileAndConstruct()
    {
        string model = ChatModel("decoder-qwen2", "{% for m in messages %}{% call x() %}{% endcall %}{% endfor %}");
        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(Config(model, "chat_template")));
        Assert.Contains("tokenizer_config.json", e.Message);
        Assert.Contains("the tag '{% call %}' is not supported", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void ChatTemplateFormatOnAModelWithoutOneIsOneLine()
    {
        string model = ChatModel("decoder-qwen2");
        File.Delete(Path.Combine(model, "tokenizer_config.json"));
        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(Config(model, "chat_template")));
        Assert.Contains("has no chat template", e.Message);
        // auto falls back to Alpaca's prompt
        var setup = TrainingRun.Build(Config(model, "auto"));
        Assert.Contains("### Response:", setup.Train[0].Rows[0][0]);
    }
}
