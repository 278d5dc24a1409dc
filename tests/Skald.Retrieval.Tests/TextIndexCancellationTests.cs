using Skald.Models;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <see cref="TextIndex"/>'s cancellation tokens: a cancelled build, add or search throws
/// <see cref="OperationCanceledException"/> and writes nothing (an index there stays as it was, a new folder is not made).
/// A token cancelled while the texts are embedded stops the forward pass before its next layer, not at the end of the
/// call: cancelled from the encoder's layer hook as the second layer after the first batch's is about to start (the
/// batches after the first run in flight, one on each thread; no timing).
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

    // 80 texts: three of the encoder's batches of 32, all in one of the index's embedding calls (256 texts)
    private static readonly IndexRecord[] Many =
        [.. Enumerable.Range(0, 80).Select(i => TextIndex.Record($"ny-{i}", $"Ferja går frå kai {i} kvar {1 + i % 7}. time."))];

    [Theory]
    [InlineData("add")]
    [InlineData("build")]
    public void ACancellationWithinTheSecondBatchStopsBeforeTheNextLayerAndWritesNothing(string call)
    {
        string root = TestPaths.NewTempDir(), folder = Path.Combine(root, "idx");
        using var encoder = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        var model = new EncoderEmbeddingModel(encoder);
        TextIndex.Build(folder, model, Rows);
        var tape = encoder.InferenceTape;
        int layers = 0;
        tape.LayerStarting = () => layers++;
        model.Embed(["Ferja går kvar time."], TextRole.Document);
        int perPass = layers; // the layers of one forward pass
        var before = Files(root); // the index and its siblings (a writer's staging folder would be one)

        using var cancel = new CancellationTokenSource();
        int stopAt = perPass + 2;
        layers = 0;
        tape.LayerStarting = () => // (batches after the first run in flight, one a thread: this hook on each of their tapes)
        {
            if (Interlocked.Increment(ref layers) == stopAt) cancel.Cancel();
        };
        var thrown = Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            if (call == "add") TextIndex.Add(folder, model, Many, cancel.Token);
            else TextIndex.Build(folder, model, Many, cancellationToken: cancel.Token);
        });
        Assert.Equal(cancel.Token, thrown.CancellationToken);
        // that layer never started, and each other batch in flight started at most the layer it was about to start
        Assert.InRange(layers, stopAt, stopAt + Skald.Tensors.Parallelism.MaxThreads - 1);
        tape.LayerStarting = null;
        var after = Files(root);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (name, bytes) in before) Assert.True(bytes.AsSpan().SequenceEqual(after[name]), name);

        // the index works on: the same call uncancelled writes every row
        int rows = call == "add" ? Rows.Length + TextIndex.Add(folder, model, Many).Added : TextIndex.Build(folder, model, Many).Rows;
        using var index = TextIndex.Open(folder, model);
        Assert.Equal(rows, index.LiveCount);
        Assert.Equal(call == "add" ? Rows.Length + Many.Length : Many.Length, rows);
        Assert.Equal("ny-42", TextIndex.Search(index, model, "kai 42", SearchMode.Bm25, topK: 1)[0].Record.Id);
    }
}
