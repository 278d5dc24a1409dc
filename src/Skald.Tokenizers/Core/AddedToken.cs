namespace Skald.Tokenizers.Core;

/// <summary>An entry of tokenizer.json's added_tokens.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/tokenizer/added_vocabulary.rs</remarks>
internal sealed record AddedToken(int Id, string Content, bool SingleWord, bool LStrip, bool RStrip, bool Normalized, bool Special);
