using System.Text.RegularExpressions;

namespace Skald.Hub;

/// <summary>
/// A Hugging Face hub repository id with an optional revision, written <c>org/name[@revision]</c>
/// (e.g. <c>NbAiLab/nb-sbert-base</c>, <c>ltg/norbert3-small@main</c>, <c>org/name@0123abcd…</c>).
/// </summary>
/// <param name="Repo">The repository id, <c>org/name</c>.</param>
/// <param name="Revision">A branch, tag or commit hash; <c>main</c> when none is given.</param>
public sealed partial record HubId(string Repo, string Revision)
{
    /// <summary>The revision used when none is given (huggingface_hub's DEFAULT_REVISION).</summary>
    public const string DefaultRevision = "main";

    /// <summary>
    /// Reads <c>org/name[@revision]</c>; null when <paramref name="text"/> is not of that form (a path with more than
    /// one slash, a leading dot or slash, characters the hub does not allow in names).
    /// </summary>
    public static HubId? TryParse(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        int at = text.IndexOf('@');
        string repo = at < 0 ? text : text[..at];
        string revision = at < 0 ? DefaultRevision : text[(at + 1)..];
        if (!RepoPattern().IsMatch(repo) || repo.Contains("--", StringComparison.Ordinal) || repo.Contains("..", StringComparison.Ordinal))
            return null;
        if (revision.Length == 0 || revision.Contains("..", StringComparison.Ordinal) || !RevisionPattern().IsMatch(revision))
            return null;
        return new HubId(repo, revision);
    }

    /// <summary>A model repository (the default) or a dataset repository.</summary>
    public HubRepoType Type { get; init; } = HubRepoType.Model;

    /// <summary>The same id as a dataset repository.</summary>
    public HubId AsDataset() => this with { Type = HubRepoType.Dataset };

    /// <summary>The API collection of the repository: <c>models</c> or <c>datasets</c> (as in <c>/api/datasets/{repo}</c>).</summary>
    public string ApiCollection => Type == HubRepoType.Dataset ? "datasets" : "models";

    /// <summary>The repository's path in file URLs: <c>org/name</c> for a model, <c>datasets/org/name</c> for a dataset (hf_hub_url's prefix).</summary>
    public string UrlPath => Type == HubRepoType.Dataset ? "datasets/" + Repo : Repo;

    /// <summary>True when <see cref="Revision"/> is a full commit hash (then nothing needs resolving).</summary>
    public bool IsCommit => CommitPattern().IsMatch(Revision);

    /// <summary>The cache folder name of the repository: <c>models--org--name</c> or <c>datasets--org--name</c> (huggingface_hub's repo_folder_name).</summary>
    public string FolderName => ApiCollection + "--" + Repo.Replace("/", "--", StringComparison.Ordinal);

    /// <inheritdoc/>
    public override string ToString() => Revision == DefaultRevision ? Repo : $"{Repo}@{Revision}";

    /// <summary>True when <paramref name="text"/> names a repository alone, <c>org/name</c> without a revision (where an upload goes).</summary>
    public static bool IsRepoId(string? text) => TryParse(text) is not null && !text!.Contains('@', StringComparison.Ordinal);

    /// <summary>True for a 40-digit lower-case hexadecimal commit hash.</summary>
    public static bool IsCommitHash(string? text) => text is not null && CommitPattern().IsMatch(text);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    private static partial Regex RepoPattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_./-]*$")]
    private static partial Regex RevisionPattern();

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitPattern();
}
