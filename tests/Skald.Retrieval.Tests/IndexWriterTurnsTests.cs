using Skald.Retrieval.Bm25;
using Skald.Retrieval.Index;

namespace Skald.Retrieval.Tests;

/// <summary>
/// Writers of one index in one process (an app adding and deleting documents from several requests at once) take
/// turns instead of refusing each other with "another skald is writing" (<see cref="IndexWriteLock"/>): a write on
/// another thread waits, past the quarter of a second after which a writer of another process is refused, and goes on
/// once the first has ended; a cancelled wait throws; the thread holding the lock is still refused.
/// </summary>
public sealed class IndexWriterTurnsTests
{
    [Fact]
    public void AWriterOnAnotherThreadWaitsForItsTurnAndThenWrites()
    {
        var (model, records, _) = IvfIndexTests.Corpus(40);
        string folder = Path.Combine(Directory.CreateTempSubdirectory("skald-turns").FullName, "idx");
        IndexBuilder.Build(folder, model, folder, records[..36], new Bm25Options(), "nb", 0, 0);
        var delete = new Writer(() => IndexBuilder.Delete(folder, ["doc0"], []));
        var add = new Writer(() => IndexBuilder.Add(folder, model, records[36..]));
        using (IndexWriteLock.Take(folder)) // the first writer, still writing
        {
            delete.Start();
            add.Start();
            // well past the quarter of a second after which a writer of another process is refused
            Assert.False(delete.Ended(TimeSpan.FromSeconds(2)), delete.Failure);
            Assert.False(add.Ended(TimeSpan.Zero), add.Failure);
            // the thread holding the lock is refused, not made to wait for itself
            Assert.Contains("another skald is writing this index", Assert.Throws<EvaluationException>(() => IndexBuilder.Delete(folder, ["doc1"], [])).Message);
        }
        Assert.True(delete.Ended(TimeSpan.FromSeconds(120)) && add.Ended(TimeSpan.FromSeconds(120)));
        Assert.Null(delete.Error);
        Assert.Null(add.Error);
        Assert.Equal(4, delete.Result); // doc0's four chunks
        Assert.Equal((4, 0), add.Result);
        using var index = SearchIndex.Open(folder);
        Assert.Equal(36, index.LiveCount);
        Assert.False(File.Exists(IndexWriteLock.PathOf(folder)));
    }

    [Fact]
    public void AWaitForTheTurnEndsWhenItsTokenIsCancelled()
    {
        var (model, records, _) = IvfIndexTests.Corpus(40);
        string folder = Path.Combine(Directory.CreateTempSubdirectory("skald-turns").FullName, "idx");
        IndexBuilder.Build(folder, model, folder, records[..36], new Bm25Options(), "nb", 0, 0);
        using var cancel = new CancellationTokenSource();
        var add = new Writer(() => IndexBuilder.Add(folder, model, records[36..], cancellationToken: cancel.Token));
        using (IndexWriteLock.Take(folder))
        {
            add.Start();
            Assert.False(add.Ended(TimeSpan.FromSeconds(1)), add.Failure);
            cancel.Cancel();
            Assert.True(add.Ended(TimeSpan.FromSeconds(60)));
            Assert.IsAssignableFrom<OperationCanceledException>(add.Error);
        }
        using var index = SearchIndex.Open(folder);
        Assert.Equal(36, index.LiveCount); // nothing written
        Assert.Equal((4, 0), IndexBuilder.Add(folder, model, records[36..])); // and the turn was given back
    }

    /// <summary>A write on a thread of its own: its result or the exception it threw.</summary>
    private sealed class Writer(Func<object> write)
    {
        private Thread? running;

        public object? Result { get; private set; }

        public Exception? Error { get; private set; }

        public string Failure => Error?.Message ?? "the writer ended while the first held the index";

        public void Start()
        {
            running = new Thread(() =>
            {
                try
                {
                    Result = write();
                }
                catch (Exception e)
                {
                    Error = e;
                }
            }) { IsBackground = true };
            running.Start();
        }

        public bool Ended(TimeSpan wait) => running!.Join(wait);
    }
}
