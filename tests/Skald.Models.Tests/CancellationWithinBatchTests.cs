using Microsoft.Extensions.AI;
using Skald.Models.CrossEncoders;
using Skald.Tensors.Autograd;

namespace Skald.Models.Tests;

/// <summary>
/// A cancelled token stops a forward pass between its layers, not at the end of its batch: <see cref="SentenceEncoder.Encode(IReadOnlyList{string}, EncodeOptions?, CancellationToken)"/>,
/// the embedding generator and <see cref="CrossEncoder.Predict(IReadOnlyList{ValueTuple{string, string}}, CrossEncoderOptions?, CancellationToken)"/>
/// throw <see cref="OperationCanceledException"/> with the caller's token before the next layer starts, and the model
/// then gives what it gave before, bit for bit. The token is cancelled from the tape's layer hook as layer 2 of the
/// batch's one pass is about to start (no timing).
/// </summary>
public sealed class CancellationWithinBatchTests
{
    private const int CancelAt = 2; // every fixture below has at least 2 layers

    // One batch (the default BatchSize is 32) of texts of mixed lengths.
    private static readonly string[] Texts = [.. Enumerable.Range(0, 32).Select(i =>
        string.Join(' ', Enumerable.Repeat($"Ferja går kvar time frå kai {i}.", 1 + i % 5)))];

    [Theory]
    [InlineData("bert-cased-mean")]
    [InlineData("modernbert-st-mean")]
    [InlineData("norbert3-tiny-st")]
    [InlineData("decoder-qwen3")]
    [InlineData("llm2vec-xlmr")]
    public void EncodeStopsBeforeTheNextLayerAndTheModelGivesWhatItGaveBefore(string fixture)
    {
        using var model = SentenceEncoder.Load(TestPaths.FixtureModel(fixture));
        StopsWithinTheBatch(model.InferenceTape, model.Encode(Texts), token => model.Encode(Texts, null, token));
    }

    [Fact]
    public async Task TheEmbeddingGeneratorsTaskIsCancelledWithinTheBatch()
    {
        using var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        using var generator = new SkaldEmbeddingGenerator(model);
        var before = await generator.GenerateAsync(Texts);
        using var cancel = new CancellationTokenSource();
        int[] layers = StopAtLayer(model.InferenceTape, cancel);

        var thrown = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => generator.GenerateAsync(Texts, cancellationToken: cancel.Token));

        Assert.Equal(cancel.Token, thrown.CancellationToken);
        Assert.Equal(CancelAt, layers[0]); // layer CancelAt and those after it never started
        model.InferenceTape.LayerStarting = null;
        var after = await generator.GenerateAsync(Texts);
        AssertSame([.. before.Select(e => e.Vector.ToArray())], [.. after.Select(e => e.Vector.ToArray())]);
    }

    [Theory]
    [InlineData("ce-bert")]
    [InlineData("ce-qwen3")]
    public void PredictStopsBeforeTheNextLayerAndTheModelGivesWhatItGaveBefore(string fixture)
    {
        using var model = CrossEncoder.Load(TestPaths.FixtureModel(fixture));
        var pairs = Texts.Select(t => ("Kva tid går ferja?", t)).ToArray();
        StopsWithinTheBatch(model.InferenceTape, model.Predict(pairs), token => model.Predict(pairs, null, token));
    }

    // `call` with a token the tape's hook cancels as layer CancelAt is about to start throws OperationCanceledException
    // with that token, that layer and those after it never starting; then `call` uncancelled gives `before` again.
    private static void StopsWithinTheBatch(Tape tape, float[][] before, Func<CancellationToken, float[][]> call)
    {
        using var cancel = new CancellationTokenSource();
        int[] layers = StopAtLayer(tape, cancel);
        var thrown = Assert.Throws<OperationCanceledException>(() => call(cancel.Token));
        Assert.Equal(cancel.Token, thrown.CancellationToken);
        Assert.Equal(CancelAt, layers[0]);
        Assert.Equal(default, tape.Cancellation); // not left on the tape for its other passes
        tape.LayerStarting = null;
        AssertSame(before, call(CancellationToken.None));
    }

    // Hooks the tape: counts the layers about to start (the count returned) and cancels `cancel` as layer CancelAt is.
    private static int[] StopAtLayer(Tape tape, CancellationTokenSource cancel)
    {
        int[] count = [0];
        tape.LayerStarting = () =>
        {
            if (++count[0] == CancelAt) cancel.Cancel();
        };
        return count;
    }

    private static void AssertSame(float[][] expected, float[][] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(expected[i].AsSpan().SequenceEqual(actual[i]), $"row {i} differs");
    }
}
