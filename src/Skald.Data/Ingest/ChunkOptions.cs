namespace Skald.Data.Ingest;

/// <summary>How documents are cut into chunks.</summary>
public sealed record ChunkOptions
{
    /// <summary>Largest chunk, in units of <see cref="Counter"/> (a longer sentence is cut between words).</summary>
    public int ChunkTokens { get; init; } = 256;

    /// <summary>Trailing sentences of a chunk, up to this many tokens, start the next chunk too.</summary>
    public int OverlapTokens { get; init; } = 32;

    /// <summary>What a token is (a model's tokenizer, or words).</summary>
    public TokenCounter Counter { get; init; } = TokenCounter.Words;
}
