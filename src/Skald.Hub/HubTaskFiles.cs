namespace Skald.Hub;

/// <summary>
/// The local files (links in the cache's snapshot folder) of an evaluation task published as a dataset repository: a
/// retrieval task's corpus, queries and the relevance judgements of one split, or the file(s) of one split for the
/// other task types.
/// </summary>
/// <param name="Id">The dataset repository.</param>
/// <param name="Commit">The commit the files come from.</param>
/// <param name="Subset">The subset (configuration) folder asked for, or null.</param>
/// <param name="Split">The split the judgements (or the task's file) belong to.</param>
/// <param name="Corpus">The corpus files (empty unless a retrieval task).</param>
/// <param name="Queries">The query files (empty unless a retrieval task).</param>
/// <param name="Files">The split's files: relevance judgements for retrieval, else the task's data.</param>
public sealed record HubTaskFiles(HubId Id, string Commit, string? Subset, string Split,
    IReadOnlyList<string> Corpus, IReadOnlyList<string> Queries, IReadOnlyList<string> Files)
{
    /// <summary>
    /// The splits the repository's data files name (files naming none are train; offline, those in the cache), for a
    /// task that is not a retrieval task; empty for a retrieval task. A classification task fits on train.
    /// </summary>
    public IReadOnlyList<string> Splits { get; init; } = [];

    /// <summary>True when the repository is a retrieval task (it has a corpus and queries).</summary>
    public bool IsRetrieval => Corpus.Count > 0;

    /// <summary>The repository's name without its owner (<c>org/name</c> → <c>name</c>), the task's default name.</summary>
    public string Name => Id.Repo[(Id.Repo.IndexOf('/') + 1)..];
}
