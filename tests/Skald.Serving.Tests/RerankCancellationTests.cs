using Skald.Models.CrossEncoders;

namespace Skald.Serving.Tests;

/// <summary>
/// A rerank whose caller goes away stops within its running batch: the token, cancelled from the cross-encoder's layer
/// hook as layer 1 is about to start (no timing), stops the pass before that layer, the request throws
/// <see cref="OperationCanceledException"/> with it, and the service then ranks as before.
/// </summary>
public sealed class RerankCancellationTests
{
    private static readonly string[] Docs = ["Fjorden ligg stille i morgonsola.", "Bussen går 07:45 fra Jernbanetorget.", "Kva tid går neste ferje?"];

    [Fact]
    public async Task ACancelledRerankStopsBeforeTheNextLayerOfItsBatch()
    {
        using var model = CrossEncoder.Load(TestPaths.FixtureModel("ce-bert"));
        var service = new RerankService(model);
        const string query = "Kva tid går ferja?";
        var before = await service.RankAsync(query, Docs, null);
        using var cancel = new CancellationTokenSource();
        int layers = 0;
        model.InferenceTape.LayerStarting = () =>
        {
            if (++layers == 1) cancel.Cancel(); // the client goes as the batch's first layer is about to start
        };

        var thrown = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => service.RankAsync(query, Docs, null, cancel.Token));

        Assert.Equal(cancel.Token, thrown.CancellationToken);
        Assert.Equal(1, layers); // that layer and those after it never started
        model.InferenceTape.LayerStarting = null;
        var after = await service.RankAsync(query, Docs, null);
        Assert.Equal(before.Ranked.Select(r => (r.Index, r.Score)), after.Ranked.Select(r => (r.Index, r.Score)));
    }
}
