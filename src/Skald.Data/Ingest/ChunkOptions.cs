namespace Skald.Data.Ingest;

/// <summary>How documents are cut into chunks.</summary>
public sealed record ChunkOptions
{
    /// <summary>
    /// Largest chunk, in units of <see cref="Counter"/> (a longer sentence is cut between words): its text, with its table's
    /// header row when it repeats one (<see cref="Chunk.RepeatsHeader"/>), and with <see cref="TitleInBudget"/> its title too.
    /// </summary>
    public int ChunkTokens { get; init; } = 256;

    /// <summary>Trailing sentences of a chunk, up to this many tokens, start the next chunk too.</summary>
    public int OverlapTokens { get; init; } = 32;

    /// <summary>What a token is (a model's tokenizer, or words).</summary>
    public TokenCounter Counter { get; init; } = TokenCounter.Words;

    /// <summary>
    /// Whether a chunk's title (<see cref="Chunk.Title"/>: its heading and its table's caption) counts against
    /// <see cref="ChunkTokens"/> with its text, for a consumer that embeds them together, as an index does (its record's
    /// full text is the title, a space and the text): then title and text together are at most the budget, so a model that
    /// reads <see cref="ChunkTokens"/> tokens sees all of both (<c>skald index build</c>, and <c>skald data generate</c>,
    /// whose passages are the index's). A title longer than three quarters of the budget still leaves the text a quarter
    /// of it, and the two run over (<see cref="Chunker.TextRoom"/>). Off (the default): the text alone is held to the
    /// budget, for a consumer that embeds the text without its title.
    /// </summary>
    public bool TitleInBudget { get; init; }
}
