namespace Skald.Serving.Tests;

/// <summary><c>POST /v1/search</c> over an index of truncated embeddings (<c>index build --truncate-dim</c>): served with the full model, the same hits as <c>skald search</c>.</summary>
public sealed class TruncatedIndexEndpointTests
{
    [Fact]
    public Task HitsEqualSkaldSearch() =>
        SparseSearchEndpointTests.AssertServerMatchesCli(TestPaths.FixtureModel("bert-cased-mean"), "dense", 4, "--truncate-dim", "16");
}
