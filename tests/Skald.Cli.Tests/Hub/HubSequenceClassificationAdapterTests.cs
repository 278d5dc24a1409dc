using System.Text;
using static Skald.Cli.Tests.Hub.HubEnvironment;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// A SEQ_CLS adapter (a cross-encoder) given to an embedding verb's <c>--adapters</c> as a hub id is refused as a folder
/// is: downloaded from <see cref="MockHub"/>, its adapter_config.json read, then one line naming the id as given and the
/// way to score pairs with it, before the model loads (<c>skald serve</c> once checked folders only and embedded a hub
/// id's head-less LoRA silently; <c>skald encode</c> checked neither). <c>skald serve --generator-adapters</c> refuses
/// one, a hub id or a folder, the same way (it once merged it into the generator).
/// </summary>
public sealed class HubSequenceClassificationAdapterTests
{
    // HubAdapterBaseTests' LoRA on skald-test/bert, its adapter_config.json given peft's task_type (null: none).
    private static Dictionary<string, byte[]> Adapter(string dir, string? taskType)
    {
        var files = HubAdapterBaseTests.AdapterFiles(dir);
        string task = taskType is null ? "" : $", \"task_type\": \"{taskType}\"";
        files["adapter_config.json"] = Encoding.UTF8.GetBytes(
            $$"""{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["query"], "base_model_name_or_path": "skald-test/bert"{{task}}}""");
        return files;
    }

    [Fact]
    public void ServeRefusesASequenceClassificationAdapterGivenAsAHubId()
    {
        string dir = TestPaths.NewTempDir();
        using var hub = new MockHub(new MockRepo("skald-test/ce-lora", Adapter(dir, "SEQ_CLS")));
        var r = SkaldProcess.RunWith(dir, Env(Path.Combine(dir, "hf"), hub.Endpoint),
            "serve", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--adapters", "skald-test/ce-lora",
            "--reranker", Path.Combine(dir, "missing"), "--port", "0"); // without the check: merged, then the missing reranker ends it
        SkaldProcess.AssertUserError(r, 1, "skald-test/ce-lora: a SEQ_CLS adapter", "--reranker skald-test/ce-lora", "not with --adapters");
    }

    [Fact]
    public void EncodeRefusesASequenceClassificationAdapterGivenAsAHubIdOrAFolder()
    {
        string dir = TestPaths.NewTempDir();
        using var hub = new MockHub(new MockRepo("skald-test/ce-lora", Adapter(dir, "SEQ_CLS")));
        string texts = Path.Combine(dir, "t.txt"), output = Path.Combine(dir, "e.jsonl");
        File.WriteAllText(texts, "Hei verden\n");
        var env = Env(Path.Combine(dir, "hf"), hub.Endpoint);
        var r = SkaldProcess.RunWith(dir, env, "encode", "--model", TestPaths.FixtureModel("bert-cased-mean"),
            "--adapters", "skald-test/ce-lora", "--input", texts, "--output", output);
        SkaldProcess.AssertUserError(r, 1, "skald-test/ce-lora: a SEQ_CLS adapter", "skald rerank --model skald-test/ce-lora", "not with --adapters");
        Assert.False(File.Exists(output));

        string local = Path.Combine(dir, "ce-lora");
        Directory.CreateDirectory(local);
        foreach (var (name, bytes) in Adapter(dir, "SEQ_CLS")) File.WriteAllBytes(Path.Combine(local, name), bytes);
        r = SkaldProcess.RunWith(dir, env, "encode", "--model", TestPaths.FixtureModel("bert-cased-mean"),
            "--adapters", local, "--input", texts, "--output", output);
        SkaldProcess.AssertUserError(r, 1, local + ": a SEQ_CLS adapter", "skald rerank --model " + local);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void EncodeMergesAHubAdapterOfAnotherTaskType()
    {
        string dir = TestPaths.NewTempDir();
        using var hub = new MockHub(new MockRepo("skald-test/fe-lora", Adapter(dir, "FEATURE_EXTRACTION")));
        string texts = Path.Combine(dir, "t.txt"), output = Path.Combine(dir, "e.jsonl");
        File.WriteAllText(texts, "Hei verden\n");
        var r = SkaldProcess.RunWith(dir, Env(Path.Combine(dir, "hf"), hub.Endpoint), "encode", "--model",
            TestPaths.FixtureModel("bert-cased-mean"), "--adapters", "skald-test/fe-lora", "--input", texts, "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(File.Exists(output));
    }

    [Fact]
    public void ServeRefusesASequenceClassificationAdapterGivenToTheGeneratorAsAHubIdOrAFolder()
    {
        string dir = TestPaths.NewTempDir();
        using var hub = new MockHub(new MockRepo("skald-test/ce-lora", Adapter(dir, "SEQ_CLS")));
        var env = Env(Path.Combine(dir, "hf"), hub.Endpoint);
        string generator = TestPaths.FixtureModel("decoder-qwen2");
        var r = SkaldProcess.RunWith(dir, env, "serve", "--generator", generator, "--generator-adapters", "skald-test/ce-lora", "--port", "0");
        SkaldProcess.AssertUserError(r, 1, "skald-test/ce-lora: a SEQ_CLS adapter", "it does not generate", "--reranker skald-test/ce-lora", "not with --generator-adapters");

        string local = Path.Combine(dir, "ce-lora");
        Directory.CreateDirectory(local);
        foreach (var (name, bytes) in Adapter(dir, "SEQ_CLS")) File.WriteAllBytes(Path.Combine(local, name), bytes);
        r = SkaldProcess.RunWith(dir, env, "serve", "--generator", generator, "--generator-adapters", local, "--port", "0");
        SkaldProcess.AssertUserError(r, 1, local + ": a SEQ_CLS adapter", "--reranker " + local, "not with --generator-adapters");
    }
}
