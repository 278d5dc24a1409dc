namespace Skald.Cli.Tests;

/// <summary>
/// A pipeline stage's <c>tokenizer</c> key is read as the commands' <c>--tokenizer</c> is (one lookup, TokenizerFile):
/// a folder without a tokenizer.json is one line naming the folder and the key, not an exception from deep inside.
/// </summary>
public sealed class PipelineTokenizerFileTests
{
    [Theory]
    [InlineData("{name: gen, type: generate, documents: ['DOCS'], tokenizer: 'EMPTY'}", "gen.tokenizer")]
    [InlineData("{name: fresh, type: static, tokenizer: 'EMPTY', dim: 8}", "fresh.tokenizer")]
    [InlineData("{name: init, type: new_bert, tokenizer: 'EMPTY', hidden: 16, layers: 1, heads: 2, intermediate: 32, max_positions: 32}", "init.tokenizer")]
    public void AFolderWithoutATokenizerJsonIsTheSharedOneLineMessage(string stage, string key)
    {
        string dir = TestPaths.NewTempDir(), empty = Path.Combine(dir, "no-tokenizer"), config = Path.Combine(dir, "pipeline.yaml");
        Directory.CreateDirectory(empty);
        string documents = SampleDocuments.Folder;
        File.WriteAllText(config, $"""
            output: {Path.Combine(dir, "run")}
            stages:
              - {stage.Replace("DOCS", documents, StringComparison.Ordinal).Replace("EMPTY", empty, StringComparison.Ordinal)}
            """);
        var r = InProcessSkald.Capture("pipeline", "--config", config, "--quiet");
        SkaldProcess.AssertUserError(r, 1,
            $"{empty}: the folder holds no tokenizer.json and is no model folder (key {key} takes a tokenizer.json file, or a folder holding one, or a model folder or hub id)");
    }
}
