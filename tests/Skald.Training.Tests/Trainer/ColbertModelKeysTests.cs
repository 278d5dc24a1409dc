using System.Text.Json;
using Skald.Models.LateInteraction;
using Skald.Training.Config;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// ColBERT model keys of a training config that PyLate's <c>ColBERT(...)</c> takes as arguments: <c>skiplist_words</c>
/// reaches training's inputs and the saved config_sentence_transformers.json, and a value that is no list is one line;
/// prefixes the base's vocabulary lacks are added to its tokenizer and embedding table (as PyLate adds them) and saved
/// with the model, which <see cref="ColbertEncoder.Load"/> reads back with them.
/// </summary>
public sealed class ColbertModelKeysTests : IDisposable
{
    private readonly string dir = InfraPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Triplets() => InfraPaths.WriteFile(dir, "triplets.jsonl", string.Concat(Enumerable.Range(0, 4).Select(i =>
        $"{{\"query\": \"Hvor ligger hus {i}?\", \"positive\": \"Hus {i} ligger ved sjøen, nær byen.\", \"negative\": \"Bussen går klokka {i}.\"}}\n")));

    private TrainingConfig Config(string skiplist, string queryPrefix = "\"\"", string documentPrefix = "\"\"") => ConfigLoader.Parse($"""
        model:
          path: {CorePaths.FixtureModel("bert-cased-mean")}
          type: colbert
          embedding_size: 8
          query_prefix: {queryPrefix}
          document_prefix: {documentPrefix}
          query_length: 12
          document_length: 20
          {skiplist}
        data:
          train: {Triplets()}
        training:
          batch_size: 4
          max_steps: 1
        output:
          dir: {Path.Combine(dir, "run")}
          save_steps: 0
          tensorboard: false
        loss:
          type: colbert_contrastive
        """, "c.yaml");

    [Fact]
    public void SkiplistWordsReachTrainingAndTheSavedFolder()
    {
        var config = Config("skiplist_words: [\".\", \"nær\"]");
        var setup = TrainingRun.Build(config);
        // PyLate's default (string.punctuation) drops the comma; this list keeps it and drops the full stop.
        var inputs = ((Skald.Training.Modeling.TrainableEncoder)setup.Model).Model.LateInteraction!;
        Assert.Equal([".", "nær"], inputs.Settings.SkiplistWords);
        new SentenceTrainer(setup).Run();
        string final = Path.Combine(config.Output.Dir, "final");
        using (var st = JsonDocument.Parse(File.ReadAllText(Path.Combine(final, ColbertSettings.FileName))))
            Assert.Equal([".", "nær"], st.RootElement.GetProperty("skiplist_words").EnumerateArray().Select(w => w.GetString()!).ToArray());
        using var model = ColbertEncoder.Load(final);
        var ids = model.Tokenizer.Encode("a , b .", true).Ids;
        int comma = model.Tokenizer.TokenToId(",")!.Value, stop = model.Tokenizer.TokenToId(".")!.Value;
        Assert.Contains(comma, ids);
        Assert.Equal(ids.Count(i => i != stop), model.EncodeDocuments(["a , b ."])[0].Count);
    }

    [Fact]
    public void ASkiplistThatIsNoListIsOneLine()
    {
        var e = Assert.Throws<TrainingException>(() => Config("skiplist_words: \".\""));
        Assert.Contains("c.yaml:9: model.skiplist_words must be a list of tokens", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse($"""
            model:
              path: {CorePaths.FixtureModel("bert-cased-mean")}
              skiplist_words: ["."]
            data:
              train: {Triplets()}
            loss:
              type: mnrl
            """, "d.yaml"));
        Assert.Contains("model.skiplist_words is a ColBERT's (model.type: colbert)", e.Message);
    }

    [Fact]
    public void PrefixesTheVocabularyLacksAreAddedAndSavedWithTheModel()
    {
        var config = Config("", "\"[Q] \"", "\"[D] \"");
        var log = new List<string>();
        new SentenceTrainer(TrainingRun.Build(config, log: log.Add)).Run();
        Assert.Contains(log, l => l.Contains("added \"[Q] \" (id 800), \"[D] \" (id 801)", StringComparison.Ordinal));
        string final = Path.Combine(config.Output.Dir, "final");
        using (var tokenizer = JsonDocument.Parse(File.ReadAllText(Path.Combine(final, "tokenizer.json"))))
        {
            var added = tokenizer.RootElement.GetProperty("added_tokens").EnumerateArray().Where(t => t.GetProperty("id").GetInt32() >= 800).ToArray();
            Assert.Equal(["[Q] ", "[D] "], added.Select(t => t.GetProperty("content").GetString()!).ToArray());
            Assert.All(added, t => Assert.False(t.GetProperty("special").GetBoolean()));
        }
        using (var c = JsonDocument.Parse(File.ReadAllText(Path.Combine(final, "config.json"))))
            Assert.Equal(802, c.RootElement.GetProperty("vocab_size").GetInt32());
        using var model = ColbertEncoder.Load(final);
        Assert.Equal(800, model.Tokenize(["Hvor ligger Bergen?"], isQuery: true)[0].Ids[1]);
        Assert.Equal(801, model.Tokenize(["Bergen ligger ved sjøen."], isQuery: false)[0].Ids[1]);
        Assert.Equal(12, model.EncodeQueries(["Hvor?"])[0].Count); // query_length 12 with expansion: a vector for every position
    }
}
