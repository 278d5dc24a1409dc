using Skald.Models;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <see cref="TextIndex"/>'s cancellation tokens: a cancelled build, add or search throws
/// <see cref="OperationCanceledException"/> and writes nothing (an index there stays as it was, a new folder is not made).
/// </summary>
public sealed class TextIndexCancellationTests
{
    private static readonly IndexRecord[] Rows = TextIndexTests.Rows;

    private static readonly CancellationToken Cancelled = new(canceled: true);

    private static Dictionary<string, byte[]> Files(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(folder, f), File.ReadAllBytes);

    [Fact]
    public void ACancelledBuildOrAddLeavesTheFolderAsItWas()
    {
        string root = TestPaths.NewTempDir(), folder = Path.Combine(root, "idx");
        using var encoder = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        var model = new EncoderEmbeddingModel(encoder);
        Assert.ThrowsAny<OperationCanceledException>(() => TextIndex.Build(folder, model, Rows, cancellationToken: Cancelled));
        Assert.False(Directory.Exists(folder));

        TextIndex.Build(folder, model, Rows, cancellationToken: CancellationToken.None);
        var before = Files(folder);
        Assert.ThrowsAny<OperationCanceledException>(() => TextIndex.Build(folder, model, [Rows[0]], cancellationToken: Cancelled));
        Assert.ThrowsAny<OperationCanceledException>(() => TextIndex.Add(folder, model, [TextIndex.Record("hage", "Hagen ved kontoret.")], Cancelled));
        var after = Files(folder);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (name, bytes) in before) Assert.True(bytes.AsSpan().SequenceEqual(after[name]), name);

        using var index = TextIndex.Open(folder, model);
        Assert.ThrowsAny<OperationCanceledException>(() => TextIndex.Search(index, model, "ferie", SearchMode.Hybrid, cancellationToken: Cancelled));
        Assert.Equal("ferie", TextIndex.Search(index, model, "Ferien", SearchMode.Bm25, topK: 1, CancellationToken.None)[0].Record.Id);
    }
}
