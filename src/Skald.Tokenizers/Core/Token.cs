namespace Skald.Tokenizers.Core;

/// <summary>A token produced by a model: id, string value and offsets (normalized UTF-16 units of its piece).</summary>
internal readonly record struct Token(int Id, string Value, int Start, int End);
