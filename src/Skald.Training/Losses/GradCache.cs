using Skald.Tensors;

namespace Skald.Training.Losses;

/// <summary>
/// GradCache's schedule (Gao et al. 2021; sentence-transformers' Cached* losses, PyLate's CachedContrastive): the rows
/// of every column cut into chunks of <c>miniBatchSize</c>, a first pass over them without recording with the
/// generator's state saved before each chunk (GradCache's RandContext), then a second pass over the same chunks, each
/// from its saved state so that dropout draws the same masks, after which the generator continues from where the first
/// pass left it. What a chunk's forward computes is the caller's (<see cref="CachedLoss"/>: one embedding a text;
/// <see cref="ColbertLoss"/>: one vector a token; <see cref="BgeM3Loss"/>: a text's dense embedding, lexical logits and
/// ColBERT vectors; <see cref="CrossEncoders.CrossEncoderLoss"/>: a pair's logits;
/// <see cref="CsrLoss"/>: the chain's rows before the autoencoder).
/// </summary>
internal sealed class GradCache
{
    private readonly SkaldRandom random;
    private readonly int columns, rows, size;
    private readonly ulong[,][] states;
    private ulong[]? after;

    /// <summary>The schedule of <paramref name="columns"/> columns of <paramref name="rows"/> rows each, drawing from <paramref name="random"/>.</summary>
    public GradCache(SkaldRandom random, int columns, int rows, int miniBatchSize)
    {
        this.random = random ?? throw new ArgumentNullException(nameof(random));
        ArgumentOutOfRangeException.ThrowIfLessThan(miniBatchSize, 1);
        this.columns = columns;
        this.rows = rows;
        size = miniBatchSize;
        states = new ulong[columns, Chunks][];
    }

    /// <summary>Chunks per column.</summary>
    public int Chunks => (rows + size - 1) / size;

    /// <summary>The first row and the row count of chunk <paramref name="m"/>.</summary>
    public (int Start, int Count) Chunk(int m) => (m * size, Math.Min(size, rows - m * size));

    /// <summary>The first pass: <paramref name="forward"/>(column, chunk) for every column and chunk in order, the generator's state saved before each.</summary>
    public void Embed(Action<int, int> forward)
    {
        ArgumentNullException.ThrowIfNull(forward);
        for (int c = 0; c < columns; c++)
        {
            for (int m = 0; m < Chunks; m++)
            {
                states[c, m] = random.SaveState();
                forward(c, m);
            }
        }
        after = random.SaveState();
    }

    /// <summary>
    /// The second pass: <paramref name="forwardBackward"/>(column, chunk) for every column and chunk, each from the
    /// generator state its first forward had; afterwards the generator is where the first pass left it.
    /// </summary>
    public void Replay(Action<int, int> forwardBackward)
    {
        ArgumentNullException.ThrowIfNull(forwardBackward);
        if (after is null) throw new InvalidOperationException("the first pass (Embed) has not run");
        for (int c = 0; c < columns; c++)
        {
            for (int m = 0; m < Chunks; m++)
            {
                random.RestoreState(states[c, m]);
                forwardBackward(c, m);
            }
        }
        random.RestoreState(after);
    }
}
