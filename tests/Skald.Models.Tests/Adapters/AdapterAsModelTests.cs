using Skald.Models.Adapters;
using Skald.Models.Checkpoints;

namespace Skald.Models.Tests.Adapters;

/// <summary>
/// A PEFT adapter folder given as the model loads the base its adapter_config.json names (absolute, or relative to the
/// adapter folder, the working directory, or a folder above the adapter folder) with the adapter merged on top, as <c>AutoModel.from_pretrained(adapter)</c> does with peft: the
/// embeddings equal those of the base loaded with the adapter, adapters given beside it follow it, and a base that
/// cannot be found is one line naming the file, the key and the value.
/// </summary>
public sealed class AdapterAsModelTests
{
    private static readonly string[] Texts = ["Toget går klokka ni", "Biblioteket har åpent i dag"];

    private readonly string dir = TestPaths.NewTempDir();

    // A rank-2 LoRA on layer 0's query projection of a fixture (decoder-qwen2's q_proj [64, 64], BERT's query [32, 32]),
    // non-zero so that it changes the embeddings; baseValue null leaves base_model_name_or_path out.
    private string Adapter(string name, string module, int width, string? baseValue, int seed = 1)
    {
        string folder = Path.Combine(dir, name);
        Directory.CreateDirectory(folder);
        string key = baseValue is null ? "" : $", \"base_model_name_or_path\": {System.Text.Json.JsonSerializer.Serialize(baseValue)}";
        string target = module[(module.LastIndexOf('.') + 1)..];
        File.WriteAllText(Path.Combine(folder, PeftAdapters.ConfigFile),
            $$"""{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["{{target}}"]{{key}}}""");
        float[] Values(int n, int s) => [.. Enumerable.Range(0, n).Select(i => 0.05f * MathF.Sin(s * 7 + i))];
        SafeTensorsWriter.Write(Path.Combine(folder, PeftAdapters.WeightsFile),
            [new($"base_model.model.{module}.lora_A.weight", [2, width], Values(2 * width, seed)),
                new($"base_model.model.{module}.lora_B.weight", [width, 2], Values(2 * width, seed + 1))]);
        return folder;
    }

    private static void AssertSame(float[][] expected, float[][] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]);
    }

    [Fact]
    public void ADecoderAdapterWithARelativeBaseLoadsAsTheBaseWithTheAdapter()
    {
        string decoder = TestPaths.FixtureModel("decoder-qwen2");
        string adapter = Adapter("lora", "model.layers.0.self_attn.q_proj", 64, Path.GetRelativePath(Path.Combine(dir, "lora"), decoder));
        var viaAdapter = SentenceEncoder.Load(adapter);
        var expected = SentenceEncoder.Load(decoder, [adapter]).Encode(Texts);
        AssertSame(expected, viaAdapter.Encode(Texts));
        Assert.NotEqual(SentenceEncoder.Load(decoder).Encode(Texts)[0], expected[0]); // the adapter changes the embeddings
        Assert.Equal([adapter], viaAdapter.Adapters);
    }

    [Fact]
    public void ABertAdapterWithAnAbsoluteBaseKeepsTheBasesModules()
    {
        string bert = TestPaths.FixtureModel("bert-cased-mean");
        string adapter = Adapter("bert-lora", "encoder.layer.0.attention.self.query", 32, bert);
        var viaAdapter = SentenceEncoder.Load(adapter);
        Assert.True(viaAdapter.Folder.IsSentenceTransformers); // the base's modules.json: its Pooling
        AssertSame(SentenceEncoder.Load(bert, [adapter]).Encode(Texts), viaAdapter.Encode(Texts));
    }

    [Fact]
    public void TheAdapterFolderIsTheModelsSourceAndItsBaseItsFolder()
    {
        string bert = TestPaths.FixtureModel("bert-cased-mean");
        string adapter = Adapter("source-lora", "encoder.layer.0.attention.self.query", 32, bert);
        using var model = SentenceEncoder.Load(adapter);
        Assert.Equal(adapter, model.Source); // what an index built with it records, and a served index is checked against
        Assert.Equal(bert, model.Folder.Path);
        Assert.Equal(adapter, model.AsSparse(new Skald.Models.Modules.SpladeConfig()).Source); // a model made from it keeps it
        using var plain = SentenceEncoder.Load(bert);
        Assert.Equal(bert, plain.Source);
    }

    [Fact]
    public void AdaptersGivenBesideTheAdapterFolderFollowIt()
    {
        string decoder = TestPaths.FixtureModel("decoder-qwen2");
        string first = Adapter("first", "model.layers.0.self_attn.q_proj", 64, decoder);
        string second = Adapter("second", "model.layers.1.self_attn.q_proj", 64, decoder, seed: 5);
        var chained = SentenceEncoder.Load(first, [second]);
        Assert.Equal([first, second], chained.Adapters);
        AssertSame(SentenceEncoder.Load(decoder, [first, second]).Encode(Texts), chained.Encode(Texts));
    }

    [Fact]
    public void ABaseThatIsAnAdapterFolderLoadsItsOwnBaseFirst()
    {
        string decoder = TestPaths.FixtureModel("decoder-qwen2");
        string first = Adapter("first", "model.layers.0.self_attn.q_proj", 64, decoder);
        string second = Adapter("second", "model.layers.1.self_attn.q_proj", 64, "../first", seed: 5);
        var model = SentenceEncoder.Load(second);
        Assert.Equal([first, second], model.Adapters);
        AssertSame(SentenceEncoder.Load(decoder, [first, second]).Encode(Texts), model.Encode(Texts));
    }

    [Fact]
    public void AMissingBaseIsOneLineNamingTheKeyAndValue()
    {
        string absent = Adapter("absent", "model.layers.0.self_attn.q_proj", 64, null);
        string file = Path.Combine(absent, "adapter_config.json");
        Assert.Equal($"{file}: base_model_name_or_path is not set, so the adapter's base model is unknown: give the base yourself with " +
            $"--model BASE --adapters {absent} (model.path and model.adapters in a training config; in the library SentenceEncoder.Load(BASE, adapters))",
            Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(absent)).Message);

        string gone = Path.Combine(dir, "no-such-base");
        string missing = Adapter("missing", "model.layers.0.self_attn.q_proj", 64, gone);
        file = Path.Combine(missing, "adapter_config.json");
        Assert.Equal($"{file}: base_model_name_or_path \"{gone}\" is no folder (tried {gone}) and no hub id: " +
            $"give the base yourself with --model BASE --adapters {missing} (model.path and model.adapters in a training config; in the library SentenceEncoder.Load(BASE, adapters))",
            Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(missing)).Message);

        // a hub id that resolves neither in the cache nor on the (unreachable) hub
        string hub = Adapter("hub", "model.layers.0.self_attn.q_proj", 64, "skald-test/no-such-base");
        string message = Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(hub)).Message;
        Assert.StartsWith($"{Path.Combine(hub, "adapter_config.json")}: base_model_name_or_path \"skald-test/no-such-base\" could not be loaded (", message);
        Assert.EndsWith($"give the base yourself with --model BASE --adapters {hub} (model.path and model.adapters in a training config; in the library SentenceEncoder.Load(BASE, adapters))", message);
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public void AdapterFoldersNamingEachOtherAreOneLine()
    {
        string a = Adapter("a", "model.layers.0.self_attn.q_proj", 64, "../b");
        string b = Adapter("b", "model.layers.0.self_attn.q_proj", 64, "../a");
        Assert.Equal($"{Path.Combine(b, "adapter_config.json")}: base_model_name_or_path leads back to {a} (the adapter folders name each other as their base)",
            Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(a)).Message);
    }

    [Fact]
    public void AGeneratorAndACrossEncoderLoadAnAdapterFolderOntoItsBase()
    {
        string decoder = TestPaths.FixtureModel("decoder-qwen2");
        string causal = Adapter("causal", "model.layers.0.self_attn.q_proj", 64, decoder);
        var options = new Skald.Models.Generation.GenerationOptions { MaxNewTokens = 6 };
        int[][] prompts = [[5, 17, 42, 9], [3, 3, 8]];
        var generated = Skald.Models.Generation.TextGenerator.Load(causal).Generate(prompts, options);
        var expected = Skald.Models.Generation.TextGenerator.Load(decoder, [causal]).Generate(prompts, options);
        Assert.Equal(expected.Select(r => r.Ids), generated.Select(r => r.Ids));
        Assert.NotEqual(Skald.Models.Generation.TextGenerator.Load(decoder).Generate(prompts, options).Select(r => r.Ids), generated.Select(r => r.Ids));

        string ce = TestPaths.FixtureModel("ce-bert");
        string classifier = Adapter("classifier", "bert.encoder.layer.0.attention.self.query", 32, ce);
        (string, string)[] pairs = [("Når opnar biblioteket?", "Biblioteket opnar klokka ni."), ("Kva kostar billetten?", "Toget går klokka sju.")];
        var scores = Skald.Models.CrossEncoders.CrossEncoder.Load(classifier).Score(pairs);
        Assert.Equal(Skald.Models.CrossEncoders.CrossEncoder.Load(ce, [classifier]).Score(pairs), scores);
        Assert.NotEqual(Skald.Models.CrossEncoders.CrossEncoder.Load(ce).Score(pairs), scores);
    }

    [Fact]
    public void TheAdapterFolderIsACrossEncodersSourceAndItsBaseItsPath()
    {
        string ce = TestPaths.FixtureModel("ce-bert");
        string classifier = Adapter("source-classifier", "bert.encoder.layer.0.attention.self.query", 32, ce);
        using var model = Skald.Models.CrossEncoders.CrossEncoder.Load(classifier);
        Assert.Equal(classifier, model.Source); // what messages telling the user to load it again name
        Assert.Equal(ce, model.Path);
        using var plain = Skald.Models.CrossEncoders.CrossEncoder.Load(ce);
        Assert.Equal(ce, plain.Source);
        using var withAdapters = Skald.Models.CrossEncoders.CrossEncoder.Load(ce, [classifier]); // adapters given beside it: the model is the folder given
        Assert.Equal(ce, withAdapters.Source);
    }

    /// <summary>
    /// A relative base as peft records it (relative to where training ran, here the folder the run's output went into)
    /// is found beside the adapter folder's parent when neither the adapter folder nor the working directory has it (it
    /// was "no folder" from anywhere else); a base found nowhere names every place tried.
    /// </summary>
    [Fact]
    public void ARelativeBaseIsFoundFromTheAdapterFoldersParentAndAMissingOneNamesEveryPlaceTried()
    {
        const string Query = "encoder.layer.0.attention.self.query";
        string bert = TestPaths.CopyFolder(TestPaths.FixtureModel("bert-cased-mean"), Path.Combine(dir, "work", "models", "bert"));
        string adapter = Adapter(Path.Combine("work", "final"), Query, 32, "models/bert");
        using var viaAdapter = SentenceEncoder.Load(adapter);
        Assert.Equal(bert, viaAdapter.Folder.Path);
        using var expected = SentenceEncoder.Load(bert, [adapter]);
        AssertSame(expected.Encode(Texts), viaAdapter.Encode(Texts));

        string lost = Adapter(Path.Combine("work", "lost"), Query, 32, "models/gone/v2");
        Assert.Equal($"{Path.Combine(lost, "adapter_config.json")}: base_model_name_or_path \"models/gone/v2\" is no folder (tried " +
            $"{Path.Combine(lost, "models", "gone", "v2")}, models/gone/v2 in the working directory, {Path.Combine(dir, "work", "models", "gone", "v2")} " +
            $"and models/gone/v2 in every folder above {Path.Combine(dir, "work")}) " +
            $"and no hub id: give the base yourself with --model BASE --adapters {lost} (model.path and model.adapters in a training config; in the library SentenceEncoder.Load(BASE, adapters))",
            Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(lost)).Message);
    }

    /// <summary>
    /// A Skald run's adapter is OUTPUT_DIR/final, two levels below where `skald train` ran with output.dir runs/lora, and
    /// peft records the base relative to there: it is found in the folder above the adapter folder's parent, from any
    /// working directory (it was "no folder", the parent being runs/lora).
    /// </summary>
    [Fact]
    public void ARelativeBaseIsFoundFromAFolderAboveTheAdapterFoldersParent()
    {
        const string Query = "encoder.layer.0.attention.self.query";
        string bert = TestPaths.CopyFolder(TestPaths.FixtureModel("bert-cased-mean"), Path.Combine(dir, "project", "models", "bert"));
        string adapter = Adapter(Path.Combine("project", "runs", "lora", "final"), Query, 32, "models/bert");
        Assert.False(Directory.Exists(Path.Combine(Directory.GetCurrentDirectory(), "models", "bert")));
        using var viaAdapter = SentenceEncoder.Load(adapter);
        Assert.Equal(bert, viaAdapter.Folder.Path);
        using var expected = SentenceEncoder.Load(bert, [adapter]);
        AssertSame(expected.Encode(Texts), viaAdapter.Encode(Texts));
    }

    /// <summary>
    /// An adapter merged into a base other than the one its adapter_config.json names, or whose config.json beside it
    /// has another model_type than the base's, loads (as peft merges it) with one note naming both; the base it names,
    /// given or reached through the adapter folder, says nothing. Before, it merged without a word.
    /// </summary>
    [Fact]
    public void AnAdapterMergedIntoAnotherBaseIsANoteNamingBoth()
    {
        const string Query = "encoder.layer.0.attention.self.query";
        string bert = TestPaths.FixtureModel("bert-cased-mean");
        string other = TestPaths.CopyFolder(bert, Path.Combine(dir, "other-bert"));
        string own = Adapter("own", Query, 32, bert), foreign = Adapter("foreign", Query, 32, other), typed = Adapter("typed", Query, 32, bert);
        File.WriteAllText(Path.Combine(typed, "config.json"), """{"model_type": "roberta"}""");
        List<string> Notes(Func<SentenceEncoder> load)
        {
            var notes = new List<string>();
            using (ModelNotices.Route(notes.Add)) load().Dispose();
            return notes;
        }
        Assert.Empty(Notes(() => SentenceEncoder.Load(bert, [own])));
        Assert.Empty(Notes(() => SentenceEncoder.Load(own)));
        Assert.Equal([$"note: {foreign}: its adapter_config.json names the base \"{other}\"; it is merged into {bert} all the same, as peft does where the shapes fit"],
            Notes(() => SentenceEncoder.Load(bert, [foreign])));
        Assert.Equal([$"note: {typed}: model_type roberta (its config.json), the base's bert; it is merged into {bert} all the same, as peft does where the shapes fit"],
            Notes(() => SentenceEncoder.Load(bert, [typed])));
    }
}
