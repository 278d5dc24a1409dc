using Skald.Models;
using Skald.Retrieval.Index;
using Skald.Retrieval.Search;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// A search whose caller goes away (the HTTP request aborted, the token cancelled) stops while its query waits for a
/// batch, and the query leaves the batcher's queue unembedded.
/// </summary>
public sealed class SearchCancellationTests : IClassFixture<SearchEndpointTests.IndexedServer>
{
    private readonly SearchEndpointTests.IndexedServer fixture;

    public SearchCancellationTests(SearchEndpointTests.IndexedServer fixture) => this.fixture = fixture;

    [Fact]
    public async Task ACancelledSearchStopsWhileItsQueryWaitsForABatch()
    {
        // a batch waits up to ten minutes for mates, so the query is still queued when the token is cancelled, and
        // leaves the queue within the test only by being dropped
        using var embeddings = new EmbeddingService(SentenceEncoder.Load(ModelDir),
            new EmbeddingServiceOptions { MaxWait = TimeSpan.FromMinutes(10), MaxBatchSize = 64 });
        var search = new SearchService(embeddings, fixture.Index);
        using var cancel = new CancellationTokenSource();
        var task = search.SearchAsync(new SearchRequest("Hvor kan jeg parkere sykkelen?", 3, SearchMode.Dense, FusionOptions.Default, null), cancel.Token);
        Assert.Equal(1, embeddings.Pending);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.WaitAsync(TimeSpan.FromSeconds(120))); // (a hang guard)
        while (embeddings.Pending > 0 && waited.Elapsed < TimeSpan.FromSeconds(120)) await Task.Delay(10);
        Assert.Equal(0, embeddings.Pending);
    }
}
