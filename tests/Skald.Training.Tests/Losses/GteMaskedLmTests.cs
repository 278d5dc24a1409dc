using System.Text.Json.Nodes;
using Skald.Models;
using Skald.Training.Losses;
using Skald.Training.Modeling;

namespace Skald.Training.Tests.Losses;

/// <summary>
/// Masked-LM on GTE beyond what every architecture shares (<see cref="MaskedLmArchitectureTests"/>, row "gte"): Skald ties
/// NewForMaskedLM's lm_head.decoder.weight to the word embeddings, so a config saying tie_word_embeddings false is one
/// clear line.
/// </summary>
public sealed class GteMaskedLmTests
{
    [Fact]
    public void AnUntiedDecoderIsOneClearLine()
    {
        string dir = MaskedLmReference.TempDir();
        string copy = MaskedLmReference.Rewrite(MaskedLmArchitecture.Of("gte").Path, dir, (_, values) => values);
        string config = Path.Combine(copy, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(config))!;
        json["tie_word_embeddings"] = false;
        File.WriteAllText(config, json.ToJsonString());
        var model = TrainableEncoder.Load(copy, dropout: 0f);
        var e = Assert.Throws<ModelFormatException>(() => new MaskedLanguageModelingLoss(model));
        Assert.Equal($"{config}: key \"tie_word_embeddings\" false is not supported for NewForMaskedLM (Skald ties lm_head.decoder.weight to the word embeddings)", e.Message);
    }
}
