using Skald.Models;
using Skald.Models.Architectures;
using Skald.Tests;
using Skald.Training.Config;
using Skald.Training.Modeling;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Modeling;

/// <summary>
/// <c>model.attention</c> that the saved model would not load with is refused before training: an LLM2Vec model (its
/// folder's llm2vec_config.json, or an LLM2Vec adapter in model.adapters, as LLM2Vec's SimCSE step over its MNTP
/// adapter) trained causally was saved with llm2vec_config.json and so ran bidirectionally when loaded back; a
/// sentence-transformers decoder folder trained bidirectionally was saved as one and ran causally. Attention the saved
/// folder keeps still trains.
/// </summary>
public sealed class SavedAttentionTests
{
    private readonly string dir;
    private readonly string data;

    public SavedAttentionTests()
    {
        dir = TestPaths.NewTempDir();
        data = TestPaths.WriteFile(dir, "pairs.jsonl", string.Join('\n',
            Enumerable.Range(0, 8).Select(i => $"{{\"anchor\": \"spørsmål {i} om ferja\", \"positive\": \"ferja går klokka {i}\"}}")));
    }

    private TrainingConfig Config(string model, string attention, string adapters = "[]") => ConfigLoader.Parse($$"""
        model: {path: {{model}}, adapters: {{adapters}}, dropout: 0{{(attention.Length > 0 ? ", attention: " + attention : "")}}}
        data: {train: {{data}}}
        training: {batch_size: 4, learning_rate: 1.0e-3, max_steps: 1}
        lora: {r: 4, alpha: 8, dropout: 0}
        output: {dir: {{Path.Combine(dir, "out-" + Guid.NewGuid().ToString("N"))}}, save_steps: 0, tensorboard: false}
        """, "c.yaml");

    private static string Llm2VecFolder()
    {
        string folder = TestPaths.CopyOfFixtureModel("decoder-qwen2");
        TestPaths.WriteFile(folder, "llm2vec_config.json", """{"pooling_mode": "mean", "max_length": 128, "doc_max_length": 400, "skip_instruction": true}""");
        return folder;
    }

    private static string SentenceTransformersFolder()
    {
        string folder = TestPaths.CopyOfFixtureModel("decoder-qwen2");
        TestPaths.WriteFile(folder, "modules.json", """
            [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
             {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
            """);
        TestPaths.WriteFile(folder, "sentence_bert_config.json", """{"max_seq_length": 128, "do_lower_case": false}""");
        Directory.CreateDirectory(Path.Combine(folder, "1_Pooling"));
        TestPaths.WriteFile(Path.Combine(folder, "1_Pooling"), "config.json", """{"word_embedding_dimension": 64, "pooling_mode_lasttoken": true}""");
        return folder;
    }

    private TrainingException Refused(TrainingConfig config) =>
        Assert.Throws<TrainingException>(() => TrainingRun.Build(config).Dispose());

    [Fact]
    public void CausalTrainingOfAnLlm2VecFolderIsRefused()
    {
        string folder = Llm2VecFolder();
        var e = Refused(Config(folder, "causal"));
        Assert.StartsWith($"model.attention: causal, but {folder} is an LLM2Vec model (llm2vec_config.json), which loads bidirectionally", e.Message);
        using var kept = TrainingRun.Build(Config(folder, "bidirectional"));
    }

    [Fact]
    public void CausalTrainingOverAnLlm2VecAdapterIsRefused()
    {
        // LLM2Vec's first step on the plain decoder: its adapter carries llm2vec_config.json
        string plain = TestPaths.FixtureModel("decoder-qwen2");
        var mntp = new SentenceTrainer(TrainingRun.Build(Config(plain, "bidirectional"))).Run();
        Assert.True(File.Exists(Path.Combine(mntp.ModelPath, "llm2vec_config.json")));

        var e = Refused(Config(plain, "causal", $"[{mntp.ModelPath}]"));
        Assert.StartsWith($"model.attention: causal, but {plain} with model.adapters is an LLM2Vec model", e.Message);
        using var unset = TrainingRun.Build(Config(plain, "", $"[{mntp.ModelPath}]"));
        Assert.Equal(AttentionMode.Bidirectional, ((IDecoder)((TrainableEncoder)unset.Model).Model.Transformer).AttentionMode);
    }

    [Fact]
    public void BidirectionalTrainingOfASentenceTransformersDecoderIsRefused()
    {
        string folder = SentenceTransformersFolder();
        var e = Refused(Config(folder, "bidirectional"));
        Assert.StartsWith($"model.attention: bidirectional, but {folder} is a sentence-transformers folder (modules.json) that loads with its architecture's causal attention", e.Message);
        Assert.EndsWith("for an LLM2Vec model start from the decoder's own folder (without modules.json)", e.Message);
        using var kept = TrainingRun.Build(Config(folder, "causal"));
        using var plain = TrainingRun.Build(Config(TestPaths.FixtureModel("decoder-qwen2"), "causal"));
    }
}
