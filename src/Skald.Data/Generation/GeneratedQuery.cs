namespace Skald.Data.Generation;

/// <summary>A generated query and the corpus document it was made from (its positive).</summary>
/// <param name="Id">Query id (<c>q{n}</c>).</param>
/// <param name="Text">The query.</param>
/// <param name="DocumentId">The id of its positive passage in the corpus.</param>
/// <param name="Kind">How it was made: <c>ict</c> (a sentence of the chunk), <c>heading</c> or <c>llm</c>.</param>
public sealed record GeneratedQuery(string Id, string Text, string DocumentId, string Kind);
