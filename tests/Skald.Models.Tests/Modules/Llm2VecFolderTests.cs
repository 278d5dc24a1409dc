using System.Text.Json;
using System.Text.Json.Nodes;
using Skald.Models.Modules;
using Skald.Tokenizers;
using Xunit.Abstractions;

namespace Skald.Models.Tests.Modules;

/// <summary>
/// LLM2Vec folders end to end against fixtures/models/make_llm2vec.py (LLM2Vec's input side and get_pooling re-typed
/// in PyTorch, ids from the real HF tokenizers library, a left-padded batch), plus the pieces on their own.
/// </summary>
public sealed class Llm2VecFolderTests(ITestOutputHelper output)
{
    private static string Folder => TestPaths.FixtureModel("llm2vec-xlmr");

    private sealed record Row(string Instruction, string Text, int[] Ids, int EmbedCount, float[] Embedding);

    private static List<Row> Rows() => File.ReadLines(Path.Combine(Folder, "expected.jsonl")).Where(l => l.Length > 0).Select(l =>
    {
        using var doc = JsonDocument.Parse(l);
        var r = doc.RootElement;
        return new Row(r.GetProperty("instruction").GetString()!, r.GetProperty("text").GetString()!,
            [.. r.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32())], r.GetProperty("embed_count").GetInt32(),
            [.. r.GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle())]);
    }).ToList();

    [Fact]
    public void AnMntpRepositoryGivenAsTheModelLoadsItsBaseAndRunsBidirectionally()
    {
        // McGill-NLP's *-mntp repositories: the base model's config.json (mapping AutoModel to LLM2Vec's encoder code)
        // and tokenizer beside the MNTP adapter, no weights; transformers with peft loads the base the adapter names.
        string decoder = TestPaths.FixtureModel("decoder-qwen2");
        string Repository(string baseModel)
        {
            string folder = TestPaths.NewTempDir();
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(decoder, "config.json")))!.AsObject();
            config["auto_map"] = new JsonObject { ["AutoModel"] = "McGill-NLP/LLM2Vec-Qwen2-mntp--modeling_qwen2_encoder.Qwen2EncoderModel" };
            File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
            File.Copy(Path.Combine(decoder, "tokenizer.json"), Path.Combine(folder, "tokenizer.json"));
            File.WriteAllText(Path.Combine(folder, "adapter_config.json"),
                $$"""{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj"], "base_model_name_or_path": {{JsonSerializer.Serialize(baseModel)}}}""");
            var a = Enumerable.Range(0, 128).Select(i => MathF.Sin(i) * 0.1f).ToArray();
            Skald.Models.Checkpoints.SafeTensorsWriter.Write(Path.Combine(folder, "adapter_model.safetensors"),
                [new("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", [2, 64], a),
                    new("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight", [64, 2], [.. a.Reverse()])]);
            return folder;
        }
        string mntp = Repository(decoder);
        var model = SentenceEncoder.Load(mntp);
        Assert.True(model.Folder.Bidirectional);
        Assert.NotNull(model.Folder.Llm2Vec);
        string[] texts = ["Toget går klokka ni", "Biblioteket har åpent"];
        var expected = SentenceEncoder.Load(decoder, [mntp]).Encode(texts);
        var got = model.Encode(texts);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(expected[i], got[i]);

        // its base neither here nor in the hub cache (the hub unreachable): one line naming the key and the value
        string hubBase = Repository("Qwen/Qwen2-0.5B");
        var e = Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(hubBase));
        Assert.StartsWith($"{Path.Combine(hubBase, "adapter_config.json")}: base_model_name_or_path \"Qwen/Qwen2-0.5B\" could not be loaded (", e.Message);
        Assert.EndsWith($"--model BASE --adapters {hubBase} (model.path and model.adapters in a training config; in the library SentenceEncoder.Load(BASE, adapters))", e.Message);
    }

    [Fact]
    public void AnMntpRepositoryAsAnAdapterRunsBidirectionallyWithoutAnLlm2VecConfig()
    {
        // McGill-NLP's *-mntp repositories ship no llm2vec_config.json; their config.json maps AutoModel to LLM2Vec's
        // bidirectional encoder code, and LLM2Vec.from_pretrained runs every model bidirectionally.
        string Adapter(bool encoderCode)
        {
            string folder = TestPaths.NewTempDir();
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.FixtureModel("decoder-qwen2"), "config.json")))!.AsObject();
            if (encoderCode) config["auto_map"] = new JsonObject { ["AutoModel"] = "McGill-NLP/LLM2Vec-Qwen2-mntp--modeling_qwen2_encoder.Qwen2EncoderModel" };
            File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
            File.WriteAllText(Path.Combine(folder, "adapter_config.json"),
                """{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj"], "base_model_name_or_path": "Qwen/Qwen2-0.5B"}""");
            var a = Enumerable.Range(0, 128).Select(i => MathF.Sin(i) * 0.1f).ToArray();
            Skald.Models.Checkpoints.SafeTensorsWriter.Write(Path.Combine(folder, "adapter_model.safetensors"),
                [new("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", [2, 64], a),
                    new("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight", [64, 2], [.. a.Reverse()])]);
            return folder;
        }
        string decoder = TestPaths.FixtureModel("decoder-qwen2");
        string[] texts = ["Toget går klokka ni", "Biblioteket har åpent"];
        var mntp = SentenceEncoder.Load(decoder, [Adapter(encoderCode: true)]);
        Assert.True(mntp.Folder.Bidirectional);
        Assert.NotNull(mntp.Folder.Llm2Vec);
        var plain = SentenceEncoder.Load(decoder, [Adapter(encoderCode: false)]);
        Assert.False(plain.Folder.Bidirectional);
        // the same as switching the plain adapter's model to LLM2Vec's bidirectional attention by hand
        var expected = plain.WithAttention(Skald.Models.Architectures.AttentionMode.Bidirectional).Encode(texts);
        var got = mntp.Encode(texts);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(expected[i], got[i]);
        Assert.NotEqual(plain.Encode(texts)[0], got[0]);
    }

    [Fact]
    public void FolderIsReadAsLlm2Vec()
    {
        var model = SentenceEncoder.Load(Folder);
        Assert.True(model.Folder.Bidirectional);
        Assert.Equal(PaddingSide.Left, model.PaddingSide);
        Assert.Equal(PoolingMode.Mean, model.Pooling.Modes);
        Assert.Equal(64, model.MaxSeqLength);
        Assert.Equal(24, model.Folder.Llm2Vec!.DocMaxLength);
        Assert.Equal("meta-llama/Meta-Llama-3-8B-Instruct", model.Folder.Llm2Vec.BaseModelName);
        Assert.False(SentenceEncoder.Load(TestPaths.FixtureModel("xlmr-cls-f16")).Folder.Bidirectional);
    }

    [Fact]
    public void InstructionTextPairsMatchLlm2Vec()
    {
        var model = SentenceEncoder.Load(Folder);
        float worst = 0;
        foreach (var group in Rows().GroupBy(r => r.Instruction))
        {
            var rows = group.ToList();
            var texts = rows.Select(r => r.Text).ToList();
            string? instruction = group.Key.Length == 0 ? null : group.Key;
            var options = new EncodeOptions { Instruction = instruction, BatchSize = 8 };
            var encodings = model.Tokenize(texts, options);
            var (_, counts) = Llm2VecInputs.Tokenize(model.Tokenizer, model.Folder.Llm2Vec!, instruction, texts, model.MaxSeqLength);
            for (int i = 0; i < rows.Count; i++)
            {
                Assert.Equal(rows[i].Ids, encodings[i].Ids);
                Assert.Equal(rows[i].EmbedCount, counts![i]);
            }
            var actual = model.Encode(texts, options);
            for (int i = 0; i < rows.Count; i++)
            {
                for (int j = 0; j < model.Dimension; j++)
                {
                    float d = Math.Abs(rows[i].Embedding[j] - actual[i][j]);
                    worst = Math.Max(worst, d);
                    Assert.True(d <= 1e-5f, $"\"{group.Key}\" / \"{rows[i].Text}\" [{j}]: expected {rows[i].Embedding[j]}, got {actual[i][j]}");
                }
            }
        }
        output.WriteLine($"max |diff| {worst:E2}");
    }

    [Fact]
    public void LeftPaddedBatchesEqualOneAtATime()
    {
        var model = SentenceEncoder.Load(Folder);
        var texts = Rows().Select(r => r.Text).Distinct().ToList();
        var options = new EncodeOptions { Instruction = "Finn et avsnitt", BatchSize = 1 };
        var single = model.Encode(texts, options);
        var batched = model.Encode(texts, options with { BatchSize = 16 });
        for (int i = 0; i < texts.Count; i++)
        {
            for (int j = 0; j < model.Dimension; j++) Assert.True(Math.Abs(single[i][j] - batched[i][j]) <= 2e-6f, $"text {i} [{j}]");
        }
    }

    [Fact]
    public void InstructionsAndPromptsGoToTheirOwnKindOfModel()
    {
        var llm2vec = SentenceEncoder.Load(Folder);
        var e = Assert.Throws<ModelFormatException>(() => llm2vec.Encode(["x"], new EncodeOptions { Prompt = "query: " }));
        Assert.Contains("takes an instruction", e.Message);
        var st = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        e = Assert.Throws<ModelFormatException>(() => st.Encode(["x"], new EncodeOptions { Instruction = "Find" }));
        Assert.Contains("instructions are for LLM2Vec models", e.Message);
    }

    [Fact]
    public void JoinFollowsConvertToStr()
    {
        var model = SentenceEncoder.Load(Folder);
        var config = model.Folder.Llm2Vec! with { DocMaxLength = 1000 };
        Assert.Equal("!@#$%^&*()tekst", Llm2VecInputs.Join(null, "tekst", model.Tokenizer, config, 64));
        Assert.Equal("!@#$%^&*()tekst", Llm2VecInputs.Join("", "tekst", model.Tokenizer, config, 64));
        Assert.Equal("Finn dette !@#$%^&*() tekst", Llm2VecInputs.Join("  Finn dette\n", " tekst", model.Tokenizer, config, 64));
        // doc_max_length: while too long, keep int(words · limit / tokens) words (Python's split and join on " ").
        string text = "en to  tre\tfire fem seks sju åtte ni ti";
        int tokens = model.Tokenizer.Encode(text, false, 64).Length;
        int limit = tokens / 2;
        string cut = Llm2VecInputs.Join(null, text, model.Tokenizer, config with { DocMaxLength = limit }, 64)[Llm2VecInputs.Separator.Length..];
        Assert.True(model.Tokenizer.Encode(cut, false, 64).Length <= limit);
        Assert.StartsWith("en to tre fire", cut);
        Assert.DoesNotContain("  ", cut);
    }

    [Theory]
    [InlineData("meta-llama/Meta-Llama-3-8B-Instruct", "llama", "eos_token", "<|start_header_id|>user<|end_header_id|>\n\nq !@#$%^&*()t<|eot_id|>")]
    [InlineData("mistralai/Mistral-7B-Instruct-v0.2", "mistral", "mean", "[INST] q !@#$%^&*()t [/INST]")]
    [InlineData("mistralai/Mistral-7B-Instruct-v0.2", "mistral", "eos_token", "[INST] q !@#$%^&*()t [/INST] </s>")]
    [InlineData("meta-llama/Llama-2-7b-chat-hf", "llama", "mean", "[INST] q !@#$%^&*()t [/INST]")]
    [InlineData("google/gemma-2-9b-it", "gemma2", "eos_token", "<bos><start_of_turn>user\nq !@#$%^&*()t<end_of_turn>")]
    [InlineData("Qwen/Qwen2-7B-Instruct", "qwen2", "eos_token", "<|im_start|>user\nq !@#$%^&*()t<|im_end|><|endoftext|>")]
    [InlineData("meta-llama/Meta-Llama-3-8B", "llama", "eos_token", "q !@#$%^&*()t<|end_of_text|>")]
    [InlineData("some/llama", "llama", "eos_token", "q !@#$%^&*()t </s>")]
    [InlineData("some/gemma", "gemma", "eos_token", "q !@#$%^&*()t<eos>")]
    [InlineData("some/qwen3", "qwen3", "eos_token", " q !@#$%^&*()t ")]
    [InlineData("", "llama", "mean", " q !@#$%^&*()t ")]
    public void TemplateFollowsPrepareForTokenization(string name, string modelType, string pooling, string expected)
    {
        var config = new Llm2VecConfig { BaseModelName = name, ModelType = modelType, PoolingModeName = pooling };
        Assert.Equal(expected, Llm2VecInputs.Template(" q !@#$%^&*()t ", config));
    }

    [Fact]
    public void SplitKeepsThePartAfterTheFirstSeparator()
    {
        Assert.Equal(("q t", "t"), Llm2VecInputs.Split("q !@#$%^&*()t"));
        Assert.Equal(("t", ""), Llm2VecInputs.Split("t"));
        Assert.Equal(("abc", "b"), Llm2VecInputs.Split("a!@#$%^&*()b!@#$%^&*()c"));
    }

    [Fact]
    public void EmbedMaskMarksTheLastRealTokensOnEitherSide()
    {
        var left = new Skald.Models.Architectures.TokenBatch([0, 0, 5, 6, 7, /**/ 5, 6, 7, 8, 9], [0, 0, 1, 1, 1, 1, 1, 1, 1, 1], new int[10], 2, 5);
        Assert.Equal([0, 0, 0, 1, 1, /**/ 0, 0, 0, 0, 1], Llm2VecInputs.EmbedMask(left, [2, 1]));
        var right = new Skald.Models.Architectures.TokenBatch([5, 6, 7, 0, 0], [1, 1, 1, 0, 0], new int[5], 1, 5);
        Assert.Equal([0, 1, 1, 0, 0], Llm2VecInputs.EmbedMask(right, [2]));
        Assert.Equal([1, 1, 1, 0, 0], Llm2VecInputs.EmbedMask(right, [9]));
    }
}
