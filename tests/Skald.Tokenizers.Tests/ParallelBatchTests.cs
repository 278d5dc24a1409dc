using System.Collections.Concurrent;
using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Tests;

/// <summary>
/// The parallel batch path returns exactly the one-thread result (order, ids, tokens, offsets, masks) for each kind
/// of tokenizer (WordPiece, byte-level BPE, Unigram, with and without their fast paths), and the scheduler runs every
/// item once, keeps small batches on the calling thread and rethrows a failure as itself.
/// </summary>
public sealed class ParallelBatchTests
{
    /// <summary>One tokenizer per model kind; "general" turns the fast paths off.</summary>
    public static TheoryData<string, bool> Kinds() => new()
    {
        { "wordpiece-uncased", true }, { "wordpiece-uncased", false }, { "bpe-llama3", true }, { "bpe-llama3", false },
        { "bpe-gpt2", true }, { "unigram", true }, { "unigram-bytefallback", true },
    };

    /// <summary>Edge cases and the corpus, four times over (large enough for two and three threads), varied per copy.</summary>
    private static string[] Batch()
    {
        var lines = new[] { "edge-cases.txt", "corpus.txt" }
            .SelectMany(f => File.ReadLines(Path.Combine(FixturePaths.TokenizerFixtures, f)))
            .Concat(FastPathParityTests.Texts).ToArray();
        return [.. Enumerable.Range(0, 4).SelectMany(k => lines.Select((l, i) => (i + k) % 5 == 0 ? $"{l} {k}" : l))];
    }

    private static Tokenizer Load(string name, bool fast, int threads)
    {
        var tk = Tokenizer.FromFile(FixturePaths.TokenizerJson(name));
        tk.UseFastPath = fast;
        tk.MaxBatchThreads = threads;
        return tk;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ParallelBatchEqualsOneThread(string fixture, bool fast)
    {
        var texts = Batch();
        Assert.Equal(2, ParallelBatch.Threads(texts.Sum(t => (long)t.Length), 2));
        var one = Load(fixture, fast, 1);
        var want = one.EncodeBatch(texts);
        var wantTruncated = one.EncodeBatch(texts, maxLength: 9);
        foreach (int threads in new[] { 2, 3 })
        {
            var many = Load(fixture, fast, threads);
            var got = many.EncodeBatch(texts);
            var gotTruncated = many.EncodeBatch(texts, maxLength: 9);
            Assert.Equal(texts.Length, got.Count);
            for (int i = 0; i < texts.Length; i++)
            {
                EncodingAssert.Same(want[i], got[i], texts[i]);
                EncodingAssert.Same(wantTruncated[i], gotTruncated[i], texts[i]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ParallelPairBatchEqualsOneThread(string fixture, bool fast)
    {
        var texts = Batch();
        var pairs = texts.Zip(texts.Skip(1).Append(texts[0])).Select(p => (p.First, p.Second)).ToArray();
        var want = Load(fixture, fast, 1).EncodePairBatch(pairs, new TruncationOptions(24));
        var got = Load(fixture, fast, 2).EncodePairBatch(pairs, new TruncationOptions(24));
        for (int i = 0; i < pairs.Length; i++) EncodingAssert.Same(want[i], got[i], pairs[i].First);
    }

    [Fact]
    public void EveryItemRunsOnceAndSmallBatchesStayOnTheCallingThread()
    {
        var counts = new int[5000];
        ParallelBatch.Run(counts.Length, _ => 40, i => Interlocked.Increment(ref counts[i]), maxThreads: 3);
        Assert.All(counts, c => Assert.Equal(1, c));

        var threads = new ConcurrentBag<int>();
        int items = ParallelBatch.MinParallelChars / 100 - 1;
        ParallelBatch.Run(items, _ => 100, _ => threads.Add(Environment.CurrentManagedThreadId), maxThreads: 8);
        Assert.Equal(items, threads.Count);
        Assert.All(threads, id => Assert.Equal(Environment.CurrentManagedThreadId, id));
        Assert.Equal(1, ParallelBatch.Threads(ParallelBatch.MinParallelChars - 1, 8));
        Assert.Equal(1, ParallelBatch.Threads(1 << 20, 1));
    }

    [Fact]
    public void AFailureIsRethrownAsItself()
    {
        var e = Assert.Throws<InvalidOperationException>(() =>
            ParallelBatch.Run(5000, _ => 40, i => { if (i % 700 == 699) throw new InvalidOperationException("bad item"); }, maxThreads: 2));
        Assert.Equal("bad item", e.Message);
        Assert.Throws<ArgumentNullException>(() => Load("unigram", true, 2).EncodeBatch([.. Batch(), null!]));
    }
}
