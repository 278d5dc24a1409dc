using Skald.Retrieval.Models;

namespace Skald.Data.Generation;

/// <summary>A generated retrieval data set: passages, the queries made from them, and what the filters removed.</summary>
/// <param name="Corpus">One passage per chunk, its section heading as title (for ICT, the chunk without its query sentences, or heading).</param>
/// <param name="Queries">Queries that passed the filters, each with its positive passage.</param>
/// <param name="Filtered">Candidates removed, by reason.</param>
public sealed record GeneratedSet(IReadOnlyList<CorpusDocument> Corpus, IReadOnlyList<GeneratedQuery> Queries, IReadOnlyDictionary<string, int> Filtered);
