using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Tensors.Autograd;

namespace Skald.Models.Tests.Architectures;

/// <summary>
/// Every encoder (the <see cref="EncoderModel"/> family) runs a batch as long as its positions and refuses one token
/// more in one line naming the limit, which each test reads from the fixture's own config.json: max_position_embeddings
/// (BERT, ModernBERT, DistilBERT, NorBERT3), less padding_idx + 1 for XLM-R's positions counted from the padding index,
/// GPT-BERT's max_sequence_length (NorBERT4 once ran past it unchecked).
/// </summary>
public sealed class EncoderLengthTests
{
    [Theory]
    [InlineData("plain-bert", "max_position_embeddings", false)]
    [InlineData("xlmr-cls-f16", "max_position_embeddings", true)]
    [InlineData("modernbert-tiny", "max_position_embeddings", false)]
    [InlineData("distilbert-tiny", "max_position_embeddings", false)]
    [InlineData("norbert3-tiny", "max_position_embeddings", false)]
    [InlineData("norbert4-tiny", "max_sequence_length", false)]
    public void LongestBatchRunsAndOneMoreTokenIsRefused(string fixture, string key, bool fromPadding)
    {
        string folder = TestPaths.FixtureModel(fixture);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "config.json")));
        int limit = config.RootElement.GetProperty(key).GetInt32();
        if (fromPadding) limit -= config.RootElement.GetProperty("pad_token_id").GetInt32() + 1;

        var model = ArchitectureRegistry.Load(folder);
        Assert.IsAssignableFrom<EncoderModel>(model);
        Assert.Equal(limit, model.MaxSequenceLength);
        var states = model.Forward(new Tape(recording: false), Batch(limit));
        Assert.Equal(limit, states.Rows);
        Assert.All(states.Data.ToArray(), x => Assert.True(float.IsFinite(x)));

        var error = Assert.Throws<ArgumentException>(() => model.Forward(new Tape(recording: false), Batch(limit + 1)));
        Assert.Equal($"sequence length {limit + 1} exceeds the model's {limit} positions", error.Message);
    }

    /// <summary>One row of <paramref name="t"/> real tokens (ids 5, 6, 7, ... within every fixture's vocabulary).</summary>
    private static TokenBatch Batch(int t) =>
        new(Enumerable.Range(0, t).Select(i => 5 + i % 20).ToArray(), Enumerable.Repeat(1, t).ToArray(), new int[t], 1, t);
}
