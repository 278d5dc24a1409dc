namespace Skald.Tokenizers.Models;

/// <summary>Options of a <see cref="BpeModel"/> (tokenizer.json's BPE model fields).</summary>
internal sealed record BpeOptions(
    string? UnkToken = null, string? ContinuingSubwordPrefix = null, string? EndOfWordSuffix = null,
    bool FuseUnk = false, bool ByteFallback = false, bool IgnoreMerges = false, double? Dropout = null);
