using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Models.CrossEncoders;
using Skald.Tensors.Autograd;

namespace Skald.Models.Tests.CrossEncoders;

/// <summary>
/// <see cref="CrossEncoder.Dispose"/>: the file its vocabulary table is read from closes, and afterwards the model
/// refuses work with <see cref="ObjectDisposedException"/> naming its folder (one line, for the CLI).
/// </summary>
public sealed class CrossEncoderDisposalTests
{
    private static readonly (string, string)[] Pairs = [("Kva tid går ferja?", "Ferja går kvar time."), ("Hvor ligger Bergen?", "Bergen ligger på Vestlandet.")];

    [Fact]
    public void ADisposedModelRefusesWorkNamingItsFolderAndDisposingTwiceIsFine()
    {
        string folder = TestPaths.FixtureModel("ce-bert");
        var model = CrossEncoder.Load(folder);
        Assert.Equal(2, model.Score(Pairs).Length);
        Assert.False(model.IsDisposed);
        model.Dispose();
        model.Dispose();
        Assert.True(model.IsDisposed);
        var score = Assert.Throws<ObjectDisposedException>(() => model.Score(Pairs));
        Assert.StartsWith(folder + ":", score.Message);
        Assert.DoesNotContain('\n', score.Message);
        Assert.Throws<ObjectDisposedException>(() => model.Rank("Kva tid går ferja?", ["Ferja går kvar time."]));
        Assert.Throws<ObjectDisposedException>(() => model.Tokenize(Pairs));
        var encodings = CrossEncoder.Load(folder).Tokenize(Pairs); // tokenized by another load: the disposed one still refuses them
        Assert.Throws<ObjectDisposedException>(() => model.Predict(encodings));
        Assert.Throws<ObjectDisposedException>(() => model.KeepPackedOnly());
        Assert.Throws<ObjectDisposedException>(() => model.KeepInt8Only());
        Assert.Throws<ObjectDisposedException>(() => model.Forward(new Tape(recording: false), TokenBatch.Pad([.. encodings], model.PadId, model.PaddingSide)));
        Assert.Equal(1, model.NumLabels); // what describes the model stays readable
    }

    [Fact]
    public void DisposingClosesTheFileTheVocabularyTableIsReadFrom()
    {
        if (!OpenFiles.Visible) return; // the open files are looked at where Linux shows them
        string folder = TestPaths.CopyOfFixtureModel("ce-bert");
        string weights = Path.Combine(folder, "model.safetensors");
        var model = CrossEncoder.Load(folder);
        Assert.Contains(model.Parameters, p => p.IsFileBacked);
        Assert.True(OpenFiles.Count(weights) > 0); // the table's file, and the matrices' left there until first used
        model.Dispose();
        Assert.Equal(0, OpenFiles.Count(weights));
    }

    [Fact]
    public void DisposingACausalLmRerankerClosesItsFileToo()
    {
        if (!OpenFiles.Visible) return;
        string folder = TestPaths.CopyOfFixtureModel("decoder-qwen3");
        var lines = File.ReadAllLines(Path.Combine(TestPaths.FixtureModel("ce-qwen3"), "expected_causal_lm.jsonl"));
        using var meta = System.Text.Json.JsonDocument.Parse(lines[0]);
        string M(string k) => meta.RootElement.GetProperty(k).GetString()!;
        var model = CrossEncoder.FromCausalLm(folder, M("yes"), M("no"), new PromptedPairs(M("prefix"), M("body"), M("suffix"), M("instruction")));
        Assert.Equal(2, model.Score(Pairs).Length);
        string weights = Path.Combine(folder, "model.safetensors");
        Assert.Equal(1, OpenFiles.Count(weights));
        model.Dispose();
        Assert.Equal(0, OpenFiles.Count(weights));
        Assert.StartsWith(folder + ":", Assert.Throws<ObjectDisposedException>(() => model.Score(Pairs)).Message);
    }

    [Fact]
    public void ScoringOnOtherThreadsWhileItIsDisposedFinishesOrThrowsObjectDisposedException()
    {
        // A server stopping: requests still scoring while the model is disposed. Each batch either runs (a batch in
        // flight finishes before the file closes) or is refused with ObjectDisposedException naming the folder; words
        // not read from the vocabulary table yet are in every batch, so a batch after the close would need the file.
        string folder = TestPaths.FixtureModel("ce-bert");
        var model = CrossEncoder.Load(folder);
        using var start = new Barrier(5);
        var errors = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        int finished = 0;
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            try
            {
                for (int k = 0; k < 200; k++)
                {
                    model.Score([.. Enumerable.Range(0, 4).Select(i => ($"ord{t}x{k}y{i}", $"fjord{k * 8 + i} hytte{t * 1000 + k}"))],
                        new CrossEncoderOptions { BatchSize = 2 });
                    Interlocked.Increment(ref finished);
                }
            }
            catch (Exception e)
            {
                errors.Add(e);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        start.SignalAndWait();
        SpinWait.SpinUntil(() => Volatile.Read(ref finished) >= 4, TimeSpan.FromSeconds(30));
        model.Dispose();
        threads.ForEach(t => t.Join());
        Assert.NotEmpty(errors); // disposed while they were scoring
        Assert.All(errors, e => Assert.StartsWith(folder + ":", Assert.IsType<ObjectDisposedException>(e).Message));
    }

    [Fact]
    public void ALoadThatFailsAfterReadingTheWeightsLeavesNoFileOpen()
    {
        if (!OpenFiles.Visible) return;
        string folder = TestPaths.CopyOfFixtureModel("ce-bert");
        string adapter = Directory.CreateDirectory(Path.Combine(TestPaths.NewTempDir(), "adapter")).FullName; // no adapter_model.safetensors
        File.WriteAllText(Path.Combine(adapter, "adapter_config.json"),
            "{\"peft_type\": \"LORA\", \"r\": 2, \"lora_alpha\": 4, \"target_modules\": [\"query\"], \"base_model_name_or_path\": \"x\"}");
        Assert.Throws<ModelFormatException>(() => CrossEncoder.Load(folder, [adapter])); // merged after the model is built
        Assert.Equal(0, OpenFiles.Count(Path.Combine(folder, "model.safetensors")));

        string decoder = TestPaths.CopyOfFixtureModel("decoder-qwen3");
        var lines = File.ReadAllLines(Path.Combine(TestPaths.FixtureModel("ce-qwen3"), "expected_causal_lm.jsonl"));
        using var meta = System.Text.Json.JsonDocument.Parse(lines[0]);
        string M(string k) => meta.RootElement.GetProperty(k).GetString()!;
        var longPrompt = new PromptedPairs(string.Concat(Enumerable.Repeat(M("prefix"), 500)), M("body"), M("suffix"), M("instruction")); // longer than the positions
        var e = Assert.Throws<ModelFormatException>(() => CrossEncoder.FromCausalLm(decoder, M("yes"), M("no"), longPrompt));
        Assert.Contains("leave no room", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, OpenFiles.Count(Path.Combine(decoder, "model.safetensors")));
    }

    [Fact]
    public void ACausalLmRerankerWhoseScoreRowsCannotBeReadLeavesNoFileOpen()
    {
        // The transformer is built (its embedding table left in the file), then the LM head's rows are read: a head of
        // another shape fails there, after the weights are open, and the load must close them before it throws.
        if (!OpenFiles.Visible) return;
        string folder = TestPaths.CopyOfFixtureModel("decoder-qwen3");
        string first = Path.Combine(folder, "model-00001-of-00002.safetensors");
        string second = Path.Combine(folder, "model-00002-of-00002.safetensors");
        File.Move(Path.Combine(folder, "model.safetensors"), first);
        SafeTensorsWriter.Write(second, [new TensorToWrite("lm_head.weight", [3, 64], new float[3 * 64])]); // vocab_size is 288
        var keys = new System.Text.Json.Nodes.JsonObject();
        using (var shard = SafeTensorsFile.Open(first))
        {
            foreach (var key in shard.Tensors.Keys) keys[key] = Path.GetFileName(first);
        }
        keys["lm_head.weight"] = Path.GetFileName(second);
        File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"),
            new System.Text.Json.Nodes.JsonObject { ["weight_map"] = keys }.ToJsonString());
        var (yes, no) = Answers();
        var e = Assert.Throws<ModelFormatException>(() => CrossEncoder.FromCausalLm(folder, yes, no));
        Assert.Contains("lm_head.weight", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, OpenFiles.Count(first));
        Assert.Equal(0, OpenFiles.Count(second));
    }

    [Fact]
    public void AnAnswerTokenBeyondTheModelsRowsIsOneLineNamingTheTokenizer()
    {
        string folder = TestPaths.CopyOfFixtureModel("decoder-qwen3");
        string tokenizer = Path.Combine(folder, "tokenizer.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(tokenizer))!;
        json["added_tokens"]!.AsArray().Add(new System.Text.Json.Nodes.JsonObject
        {
            ["id"] = 300, ["content"] = "<ja>", ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
            ["normalized"] = false, ["special"] = true,
        });
        File.WriteAllText(tokenizer, json.ToJsonString());
        var e = Assert.Throws<ModelFormatException>(() => CrossEncoder.FromCausalLm(folder, "<ja>", Answers().No));
        Assert.StartsWith(tokenizer + ":", e.Message);
        Assert.Contains("\"<ja>\" has id 300", e.Message, StringComparison.Ordinal);
        Assert.Contains("288", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    // The yes/no tokens the fixture decoder's reranker reads (its tokenizer has no "yes" or "no").
    private static (string Yes, string No) Answers()
    {
        using var meta = System.Text.Json.JsonDocument.Parse(File.ReadLines(Path.Combine(TestPaths.FixtureModel("ce-qwen3"), "expected_causal_lm.jsonl")).First());
        return (meta.RootElement.GetProperty("yes").GetString()!, meta.RootElement.GetProperty("no").GetString()!);
    }
}
