using Skald.Retrieval.Models;

namespace Skald.Data.Generation;

/// <summary>A generated retrieval data set: passages, the queries made from them, and what the filters removed.</summary>
/// <param name="Corpus">One passage per chunk, its section heading as title (for ICT, the chunk without its query sentences, or heading).</param>
/// <param name="Queries">Queries that passed the filters, each with its positive passage.</param>
/// <param name="Filtered">Candidates removed, by reason.</param>
public sealed record GeneratedSet(IReadOnlyList<CorpusDocument> Corpus, IReadOnlyList<GeneratedQuery> Queries, IReadOnlyDictionary<string, int> Filtered)
{
    /// <summary>
    /// The chunks that gave no query (their passages stay in the corpus), by reason (<see cref="IctGenerator"/>'s
    /// <see cref="IctGenerator.OneSentence"/>, <see cref="IctGenerator.NoQueryLength"/>, <see cref="IctGenerator.Overlap"/>,
    /// <see cref="IctGenerator.AllFiltered"/>); empty when none was skipped, or for an LLM's set.
    /// </summary>
    public IReadOnlyDictionary<string, int> ChunksWithoutQuery { get; init; } = new Dictionary<string, int>();
}
