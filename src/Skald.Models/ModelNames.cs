namespace Skald.Models;

/// <summary>The name a loaded model goes by where a caller sees one (an embedding generator's model id).</summary>
public static class ModelNames
{
    /// <summary>
    /// The name of the model loaded from <paramref name="source"/> (<see cref="SentenceEncoder.Source"/>): for a Hugging
    /// Face cache snapshot (<c>…/models--org--name/snapshots/{commit}</c>, where a hub id is loaded from) the repository
    /// id <c>org/name</c>, not the commit hash; for a folder a training run wrote, whose own name is the same in every
    /// run, the run's: <c>RUN</c> for <c>RUN/final</c> (<c>skald train</c>'s output.dir/final) and <c>RUN/NAME</c> for
    /// a checkpoint <c>RUN/checkpoints/NAME</c>; otherwise the folder's own name.
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
        string name = Path.GetFileName(full), parent = snapshots is null ? "" : Path.GetFileName(snapshots);
        if (name == "final" && parent.Length > 0) return parent;
        if (parent == "checkpoints" && Path.GetFileName(repository) is { Length: > 0 } run) return run + "/" + name;
        return name;
    }
}
