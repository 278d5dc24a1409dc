using Skald.Cli.Commands;
using Skald.Cli.IO;

namespace Skald.Cli.Tests;

/// <summary>
/// A model folder of any kind Skald loads is a tokenizer folder too (the LLM2Vec journey: <c>skald data generate
/// --tokenizer runs/x/final</c> and <c>skald tokenize --tokenizer runs/x/final</c> said "the folder holds no
/// tokenizer.json" of an adapter folder that <c>encode --model</c> takes), and the chunk budget of such a folder is what
/// the loaded model cuts at: the adapter's llm2vec_config.json max_length and doc_max_length (the budget read the base
/// folder alone, so an LLM2Vec adapter's lengths were ignored and the 256-token default kept).
/// </summary>
public sealed class TokenizerFromModelFolderTests
{
    private static readonly string Base = TestPaths.FixtureModel("bert-cased-mean"); // max_seq_length 64, no prompts

    // The fixture LoRA adapter on bert-cased-mean, copied with its base named by full path; with llm2vec_config.json when given.
    private static string Adapter(string? llm2vecConfig)
    {
        string dir = Path.Combine(TestPaths.NewTempDir(), "final");
        Directory.CreateDirectory(dir);
        string fixture = Path.Combine(TestPaths.FixtureModel("torch-bin"), "adapter-st");
        File.Copy(Path.Combine(fixture, "adapter_model.safetensors"), Path.Combine(dir, "adapter_model.safetensors"));
        File.WriteAllText(Path.Combine(dir, "adapter_config.json"), File.ReadAllText(Path.Combine(fixture, "adapter_config.json"))
            .Replace("\"../../bert-cased-mean\"", System.Text.Json.JsonSerializer.Serialize(Base), StringComparison.Ordinal));
        if (llm2vecConfig is not null) File.WriteAllText(Path.Combine(dir, "llm2vec_config.json"), llm2vecConfig);
        Assert.False(File.Exists(Path.Combine(dir, "tokenizer.json")));
        return dir;
    }

    [Fact]
    public void AnAdapterFolderResolvesToItsBasesTokenizer()
    {
        string adapter = Adapter(null);
        Assert.Equal(Path.GetFullPath(Path.Combine(Base, "tokenizer.json")), Path.GetFullPath(TokenizerFile.Resolve(adapter)));
        string dir = TestPaths.NewTempDir(), input = Path.Combine(dir, "in.txt");
        File.WriteAllText(input, "Hej med dig, København!\nEn anden linje\n");
        string fromAdapter = Path.Combine(dir, "a.jsonl"), fromBase = Path.Combine(dir, "b.jsonl");
        var r = InProcessSkald.Capture("tokenize", "--tokenizer", adapter, "--input", input, "--output", fromAdapter);
        Assert.True(r.ExitCode == 0, r.Stderr);
        r = InProcessSkald.Capture("tokenize", "--tokenizer", Base, "--input", input, "--output", fromBase);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(File.ReadAllText(fromBase), File.ReadAllText(fromAdapter));
    }

    [Fact]
    public void AFolderWithoutTokenizerThatIsNoModelIsOneLine()
    {
        string empty = TestPaths.NewTempDir();
        var e = Assert.Throws<InputException>(() => TokenizerFile.Resolve(empty));
        Assert.Equal($"{empty}: the folder holds no tokenizer.json and is no model folder (option --tokenizer takes a tokenizer.json file, or a folder holding one, or a model folder or hub id)", e.Message);
    }

    // The base alone reads its max_seq_length 64 less [CLS], [SEP] and its document prompt; the adapter's max_length 20
    // is 44 tokens fewer; doc_max_length 9 is below either.
    [Theory]
    [InlineData(null, 0, "max_seq_length 64")]
    [InlineData("{\"max_length\": 20}", 44, "max_length 20")]
    [InlineData("{\"max_length\": 40, \"doc_max_length\": 9}", -1, "doc_max_length 9")]
    public void TheChunkBudgetOfAnAdapterFolderIsWhatTheLoadedModelReads(string? llm2vecConfig, int fewerThanBase, string why)
    {
        var baseReads = PassageBudget.ModelReads(Base);
        Assert.NotNull(baseReads);
        Assert.True(baseReads.Value.Tokens is > 44 and <= 62, baseReads.Value.Why);
        int tokens = fewerThanBase < 0 ? 9 : baseReads.Value.Tokens - fewerThanBase;
        string adapter = Adapter(llm2vecConfig);
        var reads = PassageBudget.ModelReads(adapter);
        Assert.NotNull(reads);
        Assert.Equal(tokens, reads.Value.Tokens);
        Assert.Contains(why, reads.Value.Why, StringComparison.Ordinal);
        Assert.Equal(tokens, PassageBudget.Chunk(null, adapter, line => Assert.Fail(line)));
    }
}
