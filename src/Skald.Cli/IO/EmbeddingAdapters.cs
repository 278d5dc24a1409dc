using Skald.Cli.CommandLine;
using Skald.Models.Adapters;

namespace Skald.Cli.IO;

/// <summary>
/// The adapters a verb merges into its model (<c>skald encode</c>, <c>skald serve --adapters</c> into the embedding
/// model, <c>skald serve --generator-adapters</c> into the generator): folders or hub ids, resolved in the Hugging Face
/// cache, and none of them a SEQ_CLS adapter (a cross-encoder, whose scores are neither embeddings nor text), which is
/// refused in one line naming it and the way it is used instead.
/// </summary>
internal static class EmbeddingAdapters
{
    /// <summary>
    /// The local folders of the comma-separated <paramref name="value"/> (none when it is null), in order; a SEQ_CLS adapter
    /// among them, a folder or a hub id, is an <see cref="InputException"/> naming it as given and what
    /// <paramref name="useInstead"/> says of it (the verb's way to score pairs with it); <paramref name="option"/> is
    /// the option they were given with, <paramref name="purpose"/> what the model they merge into does.
    /// </summary>
    public static List<string> Resolve(string? value, bool quiet, Func<string, string> useInstead, string option = "--adapters", string purpose = "embed")
    {
        var names = CliOptions.AdapterFolders(value);
        var folders = HubModels.ResolveAll(names, quiet);
        for (int i = 0; i < folders.Count; i++)
        {
            if (Directory.Exists(folders[i]) && AdapterBase.IsSequenceClassification(folders[i]))
                throw new InputException($"{names[i]}: a SEQ_CLS adapter (a cross-encoder) scores pairs, it does not {purpose}: " +
                    $"{useInstead(names[i])} (loaded onto the base its adapter_config.json names), not with {option}");
        }
        return folders;
    }
}
