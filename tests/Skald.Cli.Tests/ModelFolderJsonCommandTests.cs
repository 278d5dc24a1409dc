namespace Skald.Cli.Tests;

/// <summary>
/// A model folder's JSON read outside its loader, malformed or of the wrong type: one line naming the file and key, exit
/// 1, no stack trace. A shard index's weight_map entry that is no file name was an internal error (exit 70: the
/// InvalidOperationException of asking a number for its string); an adapter's task_type that is no string was read as
/// "not a classifier" without a word and the adapter merged.
/// </summary>
public sealed class ModelFolderJsonCommandTests : IDisposable
{
    private readonly string dir = TestPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Input()
    {
        string input = Path.Combine(dir, "in.txt");
        File.WriteAllText(input, "Ferja går klokka sju.\n");
        return input;
    }

    [Fact]
    public void AShardIndexEntryThatIsNoFileNameIsOneLine()
    {
        string model = TestPaths.CopyFolder(TestPaths.FixtureModel(Path.Combine("torch-bin", "bert-sharded")), Path.Combine(dir, "sharded"));
        string index = Path.Combine(model, "pytorch_model.bin.index.json");
        File.WriteAllText(index, File.ReadAllText(index).Replace(
            "\"embeddings.LayerNorm.bias\": \"pytorch_model-00001-of-00002.bin\"", "\"embeddings.LayerNorm.bias\": 5", StringComparison.Ordinal));
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", model, "--input", Input(), "--output", Path.Combine(dir, "out.jsonl")), 1,
            $"{index}: weight_map[\"embeddings.LayerNorm.bias\"] is not a file name, found 5");
    }

    [Fact]
    public void AnAdapterTaskTypeThatIsNoStringIsOneLine()
    {
        string adapter = Directory.CreateDirectory(Path.Combine(dir, "typed")).FullName;
        string file = Path.Combine(adapter, "adapter_config.json");
        File.WriteAllText(file, "{\"peft_type\": \"LORA\", \"r\": 2, \"lora_alpha\": 4, \"target_modules\": [\"query\"], \"task_type\": [\"SEQ_CLS\"]}");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--adapters", adapter,
            "--input", Input(), "--output", Path.Combine(dir, "out.jsonl")), 1, $"{file}: key \"task_type\" must be a string, found [\"SEQ_CLS\"]");
        Assert.False(File.Exists(Path.Combine(dir, "out.jsonl")));
    }
}
