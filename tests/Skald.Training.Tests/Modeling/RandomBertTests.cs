using Skald.Models;
using Skald.Models.Checkpoints;
using Skald.Training.Modeling;

namespace Skald.Training.Tests.Modeling;

public sealed class RandomBertTests
{
    [Fact]
    public void NewModelLoadsEncodesAndFollowsTheInitialisation()
    {
        string tokenizer = Path.Combine(Skald.Tests.Repository.Root, "fixtures", "tokenizers", "wordpiece-cased", "tokenizer.json");
        string dir = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"));
        RandomBert.Create(dir, tokenizer, new BertShape(Hidden: 32, Layers: 1, Heads: 4, Intermediate: 64, MaxPositions: 40), seed: 3);

        var model = SentenceEncoder.Load(dir);
        Assert.Equal(32, model.Dimension);
        Assert.Equal(40, model.MaxSeqLength);
        var e = model.Encode(["Hei på deg", "Fjorden er blå"]);
        Assert.All(e, v => Assert.All(v, x => Assert.True(float.IsFinite(x))));

        using var f = SafeTensorsFile.Open(Path.Combine(dir, "model.safetensors"));
        var word = f.ReadFloat32("embeddings.word_embeddings.weight");
        double sd = Math.Sqrt(word.Skip(32).Select(x => (double)x * x).Average());
        Assert.InRange(sd, 0.018, 0.022);                                  // N(0, 0.02²)
        Assert.All(word.Take(32), x => Assert.Equal(0f, x));                 // padding row ([PAD] = 0) zeroed
        Assert.All(f.ReadFloat32("embeddings.LayerNorm.weight"), x => Assert.Equal(1f, x));
        Assert.All(f.ReadFloat32("encoder.layer.0.output.dense.bias"), x => Assert.Equal(0f, x));

        // Trainable as well: the training encoder loads the same folder and gives the same embeddings.
        var trainable = TrainableEncoder.Load(dir, dropout: 0f);
        var t = trainable.Encode(["Hei på deg", "Fjorden er blå"]);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 32; j++) Assert.Equal(e[i][j], t[i][j], 5);
    }

    /// <summary>
    /// The folder is built aside and moved into place whole: an earlier output's files do not stay in it (a stale
    /// modules.json made the new folder load as the old module chain), and no staging folder is left beside it.
    /// </summary>
    [Fact]
    public void TheFolderReplacesAnEarlierOneWhole()
    {
        string tokenizer = Path.Combine(Skald.Tests.Repository.Root, "fixtures", "tokenizers", "wordpiece-cased", "tokenizer.json");
        string parent = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N")), dir = Path.Combine(parent, "bert");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "modules.json"), "[]");
        RandomBert.Create(dir, tokenizer, new BertShape(Hidden: 32, Layers: 1, Heads: 4, Intermediate: 64, MaxPositions: 40), seed: 3);
        Assert.Equal(["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"],
            Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal([dir], Directory.GetFileSystemEntries(parent));
        Directory.Delete(parent, recursive: true);
    }
}
