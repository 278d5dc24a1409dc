namespace Skald.Models;

/// <summary>The name a loaded model goes by where a caller sees one (an embedding generator's model id).</summary>
public static class ModelNames
{
    /// <summary>
    /// The name of the model loaded from <paramref name="source"/> (<see cref="SentenceEncoder.Source"/>): for a Hugging
    /// Face cache snapshot (<c>…/models--org--name/snapshots/{commit}</c>, where a hub id is loaded from) the repository
    /// id <c>org/name</c>, not the commit hash; otherwise the folder's own name.
    /// </summary>
    public static string Of(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(source));
        string? snapshots = Path.GetDirectoryName(full);
        string? repository = snapshots is null ? null : Path.GetDirectoryName(snapshots);
        const string Prefix = "models--";
        if (repository is not null && Path.GetFileName(snapshots) == "snapshots" && Path.GetFileName(repository) is { } folder
            && folder.StartsWith(Prefix, StringComparison.Ordinal) && folder.Length > Prefix.Length)
            return folder[Prefix.Length..].Replace("--", "/", StringComparison.Ordinal); // huggingface_hub's repo_folder_name, reversed (ids hold no "--")
        return Path.GetFileName(full);
    }
}
