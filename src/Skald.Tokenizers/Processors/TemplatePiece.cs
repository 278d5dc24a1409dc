namespace Skald.Tokenizers.Processors;

/// <summary>One piece of a template: a special token or a sequence (A / B), with its type id.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/processors/template.rs</remarks>
internal sealed record TemplatePiece(bool IsSequence, string Id, int TypeId);
