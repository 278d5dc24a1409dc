namespace Skald.Cli.Tests;

/// <summary>
/// Issue 14's bad input through <c>skald train</c> with <c>loss.type: causal_lm</c>: a data row without an output and
/// a chat template outside the supported Jinja subset are one line each (a prompt longer than the context is covered
/// by GenerateCommandTests and EvaluateGenerationModelTests).
/// </summary>
public sealed class SftBadInputTests
{
    private static string Config(string dir, string model, string data, string format)
    {
        string path = Path.Combine(dir, "sft.yaml");
        File.WriteAllText(path, $"""
            model:
              path: {model}
            data:
              train: {data}
              prompt_format: {format}
            training:
              batch_size: 2
              max_steps: 1
            loss:
              type: causal_lm
            output:
              dir: {Path.Combine(dir, "run")}
              tensorboard: false
            """);
        return path;
    }

    [Fact]
    public void ARowWithoutAnOutputIsOneLineNamingFileAndLine()
    {
        string dir = TestPaths.NewTempDir(), data = Path.Combine(dir, "sft.jsonl");
        File.WriteAllLines(data, ["""{"instruction": "Hej?", "output": "Hej!"}""", """{"instruction": "Vad är 2 plus 2?", "input": ""}"""]);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("train", "--config", Config(dir, TestPaths.FixtureModel("decoder-qwen2"), data, "alpaca")),
            1, "sft.jsonl:2: the row has no output");
        Assert.False(Directory.Exists(Path.Combine(dir, "run", "final")));
    }

    [Fact]
    public void AnUnsupportedChatTemplateIsOneLineNamingTheConstruct()
    {
        string dir = TestPaths.NewTempDir(), data = Path.Combine(dir, "sft.jsonl");
        File.WriteAllLines(data, ["""{"instruction": "Hej?", "output": "Hej!"}"""]);
        string model = ChatModelFolder.Create("decoder-qwen2", "{% for m in messages %}{{ m.content | wordwrap(20) }}{% endfor %}");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("train", "--config", Config(dir, model, data, "auto")),
            1, "tokenizer_config.json", "the filter 'wordwrap' is not supported");
    }
}
