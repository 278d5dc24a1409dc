using Skald.Cli.CommandLine;
using Skald.Models.Adapters;

namespace Skald.Cli.IO;

/// <summary>
/// The adapters an embedding verb (<c>skald encode</c>, <c>skald serve --adapters</c>) merges into its model: folders or
/// hub ids, resolved in the Hugging Face cache, and none of them a SEQ_CLS adapter (a cross-encoder, whose scores are no
/// embeddings), which is refused in one line naming it and the way it is used instead.
/// </summary>
internal static class EmbeddingAdapters
{
    /// <summary>
    /// The local folders of the comma-separated <paramref name="value"/> (none when it is null), in order; a SEQ_CLS adapter
    /// among them, a folder or a hub id, is an <see cref="InputException"/> naming it as given and what
    /// <paramref name="useInstead"/> says of it (the verb's way to score pairs with it).
    /// </summary>
    public static List<string> Resolve(string? value, bool quiet, Func<string, string> useInstead)
    {
        var names = CliOptions.AdapterFolders(value);
        var folders = HubModels.ResolveAll(names, quiet);
        for (int i = 0; i < folders.Count; i++)
        {
            if (Directory.Exists(folders[i]) && AdapterBase.IsSequenceClassification(folders[i]))
                throw new InputException($"{names[i]}: a SEQ_CLS adapter (a cross-encoder) scores pairs, it does not embed: " +
                    $"{useInstead(names[i])} (loaded onto the base its adapter_config.json names), not with --adapters");
        }
        return folders;
    }
}
