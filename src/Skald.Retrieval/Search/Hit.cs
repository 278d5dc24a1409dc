namespace Skald.Retrieval.Search;

/// <summary>One search hit: a row index into the corpus and its score.</summary>
public readonly record struct Hit(int Index, float Score);
