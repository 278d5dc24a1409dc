namespace Skald.Retrieval.Data;

/// <summary>
/// A paraphrase-mining task's data: the texts, mined against each other, and the known duplicate pairs (indices into
/// <see cref="Texts"/>, the smaller first), sentence-transformers' <c>sentences_map</c> and <c>duplicates_list</c>.
/// </summary>
public sealed record ParaphraseSet(IReadOnlyList<string> Texts, IReadOnlyList<(int First, int Second)> Duplicates);
