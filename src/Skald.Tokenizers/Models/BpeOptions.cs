namespace Skald.Tokenizers.Models;

/// <summary>Options of a <see cref="BpeModel"/> (tokenizer.json's BPE model fields).</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/models/bpe/model.rs</remarks>
internal sealed record BpeOptions(
    string? UnkToken = null, string? ContinuingSubwordPrefix = null, string? EndOfWordSuffix = null,
    bool FuseUnk = false, bool ByteFallback = false, bool IgnoreMerges = false, double? Dropout = null);
