namespace Skald.Tokenizers.Training;

/// <summary>Options of <see cref="TokenizerTrainer"/>.</summary>
public sealed record TokenizerTrainingOptions
{
    /// <summary>What to train.</summary>
    public TokenizerKind Kind { get; init; } = TokenizerKind.WordPiece;

    /// <summary>Target vocabulary size, special tokens included.</summary>
    public int VocabSize { get; init; } = 8000;

    /// <summary>Minimum count of a merged pair (BPE, WordPiece) or of a seed piece (Unigram).</summary>
    public int MinFrequency { get; init; } = 2;

    /// <summary>Special tokens (ids 0..n-1, in this order); null gives the kind's defaults.</summary>
    public IReadOnlyList<string>? SpecialTokens { get; init; }

    /// <summary>Characters always in the vocabulary, even when absent from the corpus.</summary>
    public IReadOnlyList<string> InitialAlphabet { get; init; } = [];

    /// <summary>WordPiece only: lowercase and strip accents (uncased BERT).</summary>
    public bool Lowercase { get; init; }
}
