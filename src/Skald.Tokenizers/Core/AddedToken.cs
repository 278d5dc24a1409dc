namespace Skald.Tokenizers.Core;

/// <summary>An entry of tokenizer.json's added_tokens.</summary>
internal sealed record AddedToken(int Id, string Content, bool SingleWord, bool LStrip, bool RStrip, bool Normalized, bool Special);
