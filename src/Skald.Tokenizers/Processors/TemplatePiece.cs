namespace Skald.Tokenizers.Processors;

/// <summary>One piece of a template: a special token or a sequence (A / B), with its type id.</summary>
internal sealed record TemplatePiece(bool IsSequence, string Id, int TypeId);
