using Skald.Models.CrossEncoders;

namespace Skald.Models.Tests.CrossEncoders;

/// <summary>
/// A cross-encoder takes a cancellation token as <see cref="SentenceEncoder"/>'s Encode does (a server reranking for a
/// request that went away): looked at before each batch, so no batch starts once it is cancelled.
/// </summary>
public sealed class CrossEncoderCancellationTests
{
    private static readonly (string, string)[] Pairs = [("Hvor ligger legekontoret?", "Legekontoret ligger i sentrum."),
        ("Hvor ligger legekontoret?", "Biblioteket er stengt."), ("Når åpner butikken?", "Butikken åpner klokka ni.")];

    [Fact]
    public void CancellingStopsScoringBeforeTheNextBatch()
    {
        using var model = CrossEncoder.Load(TestPaths.FixtureModel("ce-bert"));
        using var cancel = new CancellationTokenSource();
        int batches = 0;
        // one pair a batch; the token is cancelled as the first batch finishes, so the other two never run
        var options = new CrossEncoderOptions { BatchSize = 1, Progress = (_, _) => { batches++; cancel.Cancel(); } };
        Assert.ThrowsAny<OperationCanceledException>(() => model.Score(Pairs, options, cancel.Token));
        Assert.Equal(1, batches);
    }

    [Fact]
    public void ACancelledTokenRunsNoBatchOfPredictScoreOrRank()
    {
        using var model = CrossEncoder.Load(TestPaths.FixtureModel("ce-bert"));
        int batches = 0;
        var options = new CrossEncoderOptions { Progress = (_, _) => batches++ };
        var cancelled = new CancellationToken(canceled: true);
        Assert.ThrowsAny<OperationCanceledException>(() => model.Predict(Pairs, options, cancelled));
        Assert.ThrowsAny<OperationCanceledException>(() => model.Score(Pairs, options, cancelled));
        Assert.ThrowsAny<OperationCanceledException>(() => model.Rank("Hvor ligger legekontoret?", ["a", "b"], 1, options, cancelled));
        Assert.Equal(0, batches);
        Assert.Equal(3, model.Score(Pairs, options, CancellationToken.None).Length);
        Assert.Equal(1, batches);
    }
}
