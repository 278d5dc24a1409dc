using System.Text.Json;
using Skald.Models;
using Skald.Models.Checkpoints;
using Skald.Training.Config;
using Skald.Training.Modeling;
using Skald.Training.Output;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Output;

public sealed class SavedModelTests
{
    private static readonly string[] Texts =
        ["Hvor ligger legekontoret?", "Legekontoret ligger i sentrum.", "Det regner i Bergen i dag.", "Var ligger stationen?"];

    private readonly string dir = InfraPaths.NewTempDir();

    [Theory]
    [InlineData("bert-cased-mean")]
    [InlineData("bert-uncased-max")]
    [InlineData("xlmr-cls-f16")]
    public void UntrainedWeightsSaveInSentenceTransformersLayoutAndReloadIdentically(string fixture)
    {
        string source = InfraPaths.FixtureModel(fixture);
        var model = TrainableEncoder.Load(source, dropout: 0);
        string saved = Path.Combine(dir, fixture);
        model.Save(saved, "---\nbase_model: x\n---\n# card\n");
        FormatChecker.Check(saved, checkCard: false);
        var before = SentenceEncoder.Load(source).Encode(Texts);
        var after = SentenceEncoder.Load(saved).Encode(Texts);
        for (int i = 0; i < Texts.Length; i++) Assert.Equal(before[i], after[i]);
        using var original = Checkpoint.OpenFolder(source, "bert.", "roberta.");
        using var written = Checkpoint.OpenFolder(saved);
        // Everything the source held is kept (pooler, pre-training head) except integer buffers, which transformers
        // no longer saves (position_ids is a non-persistent buffer since 4.31).
        Assert.Equal(original.Keys.Where(k => k != "embeddings.position_ids").Order(StringComparer.Ordinal),
            written.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void TrainedModelReloadsWithTheEmbeddingsTheTrainerHadAndHasAModelCard()
    {
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", string.Concat(Enumerable.Range(0, 24).Select(i =>
            $"{{\"anchor\": \"Hvor ligger hus {i}?\", \"positive\": \"Huset {i} ligger i sentrum.\"}}\n")));
        var config = ConfigLoader.Parse($"""
            model:
              path: {InfraPaths.FixtureModel("bert-uncased-max")}
            data:
              train: {data}
              eval_split: 8
            training:
              batch_size: 8
              learning_rate: 1.0e-3
              max_steps: 4
              logging_steps: 2
            output:
              dir: {Path.Combine(dir, "run")}
              save_steps: 0
            """, "t.yaml");
        var setup = TrainingRun.Build(config);
        var result = new SentenceTrainer(setup).Run();
        FormatChecker.Check(result.ModelPath, checkCard: true);
        var trained = setup.Model.Encode(Texts);
        var reloaded = SentenceEncoder.Load(result.ModelPath).Encode(Texts);
        var untrained = SentenceEncoder.Load(InfraPaths.FixtureModel("bert-uncased-max")).Encode(Texts);
        // The trainer's Encode runs its padded pass, the reloaded SentenceEncoder skips the padding (and attends through
        // the direct kernel): the same values up to summation order. (An absolute bound, not xunit's rounding to 5
        // decimals, which fails on values 3e-7 apart that straddle a rounding boundary.)
        for (int i = 0; i < Texts.Length; i++)
        {
            for (int k = 0; k < trained[i].Length; k++)
                Assert.True(MathF.Abs(trained[i][k] - reloaded[i][k]) <= 1e-5f, $"text {i} component {k}: {trained[i][k]} vs {reloaded[i][k]}");
        }
        Assert.NotEqual(untrained[0], reloaded[0]);
        string card = File.ReadAllText(Path.Combine(result.ModelPath, "README.md"));
        // (the fixture's similarity_fn_name is dot, which names its metrics, as upstream's evaluators name them)
        foreach (var fragment in new[] { "bert-uncased-max", "MultipleNegativesRankingLoss", "learning_rate`: 0.001", "eval_pairs_dot_ndcg@10", "dataset_size:16" })
            Assert.Contains(fragment, card);
    }
}

/// <summary>Checks a folder against SentenceTransformersFormat.json (the format sentence-transformers 5.x writes).</summary>
internal static class FormatChecker
{
    private static readonly JsonElement Spec = JsonDocument.Parse(File.ReadAllText(
        Path.Combine(InfraPaths.RepoRoot, "tests", "Skald.Training.Tests", "Output", "SentenceTransformersFormat.json"))).RootElement;

    private static string[] Strings(JsonElement e) => e.EnumerateArray().Select(x => x.GetString()!).ToArray();

    private static string[] Keys(string file) =>
        JsonDocument.Parse(File.ReadAllText(file)).RootElement.EnumerateObject().Select(p => p.Name).ToArray();

    public static void Check(string folder, bool checkCard)
    {
        foreach (var f in Strings(Spec.GetProperty("root_files")))
        {
            if (f != "README.md" || checkCard) Assert.True(File.Exists(Path.Combine(folder, f)), $"{f} missing");
        }
        var modulesSpec = Spec.GetProperty("modules_json");
        var types = modulesSpec.GetProperty("types");
        using var modules = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "modules.json")));
        int idx = 0;
        foreach (var m in modules.RootElement.EnumerateArray())
        {
            Assert.Equal(Strings(modulesSpec.GetProperty("entry_keys")), m.EnumerateObject().Select(p => p.Name));
            Assert.Equal(idx, m.GetProperty("idx").GetInt32());
            Assert.Equal(idx.ToString(), m.GetProperty("name").GetString());
            string type = m.GetProperty("type").GetString()!, path = m.GetProperty("path").GetString()!;
            string cls = type[(type.LastIndexOf('.') + 1)..];
            Assert.Equal(types.GetProperty(cls).GetString(), type);
            Assert.Equal(idx == 0 ? "" : $"{idx}_{cls}", path);
            if (idx > 0) Assert.True(Directory.Exists(Path.Combine(folder, path)), $"{path} missing");
            if (cls == "Dense") CheckDense(Path.Combine(folder, path));
            idx++;
        }
        var st = Spec.GetProperty("config_sentence_transformers_json");
        string stFile = Path.Combine(folder, "config_sentence_transformers.json");
        Assert.Equal(Strings(st.GetProperty("keys")), Keys(stFile));
        using (var doc = JsonDocument.Parse(File.ReadAllText(stFile)))
        {
            Assert.Equal(st.GetProperty("model_type").GetString(), doc.RootElement.GetProperty("model_type").GetString());
            Assert.Equal(Strings(st.GetProperty("version_keys")), doc.RootElement.GetProperty("__version__").EnumerateObject().Select(p => p.Name));
            Assert.Contains(doc.RootElement.GetProperty("similarity_fn_name").GetString(), Strings(st.GetProperty("similarity_fn_names")));
            Assert.Equal(JsonValueKind.Object, doc.RootElement.GetProperty("prompts").ValueKind);
        }
        Assert.Equal(Strings(Spec.GetProperty("sentence_bert_config_json").GetProperty("keys")), Keys(Path.Combine(folder, "sentence_bert_config.json")));
        var pooling = Spec.GetProperty("pooling_config_json");
        Assert.Equal(Strings(pooling.GetProperty("keys")), Keys(Path.Combine(folder, pooling.GetProperty("file").GetString()!)));
        var tf = Spec.GetProperty("transformer_safetensors");
        using (var weights = SafeTensorsFile.Open(Path.Combine(folder, "model.safetensors")))
        {
            Assert.Equal("pt", weights.Metadata["format"]);
            foreach (var prefix in Strings(tf.GetProperty("key_prefix_forbidden")))
                Assert.DoesNotContain(weights.Tensors.Keys, k => k.StartsWith(prefix, StringComparison.Ordinal));
        }
        if (!checkCard) return;
        string card = File.ReadAllText(Path.Combine(folder, "README.md"));
        Assert.StartsWith("---\n", card);
        string front = card[4..card.IndexOf("\n---\n", 4, StringComparison.Ordinal)];
        var spec = Spec.GetProperty("model_card");
        foreach (var k in Strings(spec.GetProperty("front_matter_keys"))) Assert.Contains($"\n{k}:", "\n" + front);
        // the checked models start from local fixture folders: sentence-transformers names a base only when it is on the hub
        foreach (var k in Strings(spec.GetProperty("front_matter_keys_for_a_hub_base_only"))) Assert.DoesNotContain($"\n{k}:", "\n" + front);
        foreach (var t in Strings(spec.GetProperty("front_matter_tags"))) Assert.Contains($"\n- {t}\n", front + "\n");
        foreach (var s in Strings(spec.GetProperty("sections"))) Assert.Contains($"\n{s}\n", card);
    }

    private static void CheckDense(string path)
    {
        var dense = Spec.GetProperty("dense");
        foreach (var f in Strings(dense.GetProperty("files"))) Assert.True(File.Exists(Path.Combine(path, f)), $"{path}/{f} missing");
        var keys = Keys(Path.Combine(path, "config.json"));
        foreach (var k in Strings(dense.GetProperty("config_keys"))) Assert.Contains(k, keys);
        using var w = SafeTensorsFile.Open(Path.Combine(path, "model.safetensors"));
        Assert.Equal(Strings(dense.GetProperty("tensors")).Order(), w.Tensors.Keys.Order());
    }
}
