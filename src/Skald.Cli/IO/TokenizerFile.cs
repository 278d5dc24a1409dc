using Skald.Hub;
using Skald.Models;
using Skald.Models.Modules;

namespace Skald.Cli.IO;

/// <summary>The tokenizer.json an option names: the file itself, or the one of a (model) folder it names.</summary>
internal static class TokenizerFile
{
    /// <summary>
    /// The tokenizer.json at <paramref name="path"/>, or in the folder <paramref name="path"/>, or else the one the
    /// model folder <paramref name="path"/> loads with (<see cref="ModelFolder"/>: a sentence-transformers folder's
    /// Transformer module, an adapter folder's base — an LLM2Vec run's <c>final</c> —, as <c>encode --model</c> reads
    /// it), a hub id <c>org/name[@revision]</c> that is no local path being that model's snapshot, as <c>--model</c>
    /// takes one (<see cref="HubModels.Resolve"/>); else an <see cref="InputException"/> in one line naming the path,
    /// what is there (nothing, a folder without one, a model folder that does not load, a hub id the hub does not
    /// answer) and what <paramref name="option"/> expects (a command's option, "--tokenizer", or a pipeline stage's key,
    /// "gen.tokenizer").
    /// </summary>
    public static string Resolve(string path, string option = "--tokenizer")
    {
        ArgumentNullException.ThrowIfNull(path);
        const string Expected = "a tokenizer.json file, or a folder holding one, or a model folder or hub id";
        string what = option.StartsWith('-') ? $"option {option}" : $"key {option}";
        if (File.Exists(path)) return path;
        try
        {
            path = HubModels.Resolve(path, quiet: false); // a hub id that is no local path: its snapshot folder
        }
        catch (HubException e) // a path in a hub id's form (dir/tokenizer.json): named as both, as a missing task is
        {
            throw new InputException($"{path}: no such file or folder (in {Directory.GetCurrentDirectory()}), and as a hub id: {e.Message} ({what} takes {Expected})");
        }
        if (!Directory.Exists(path)) throw new InputException($"{path}: no such file or folder ({what} takes {Expected})");
        string file = Path.Combine(path, "tokenizer.json");
        if (File.Exists(file)) return file;
        if (!IsModelFolder(path)) throw new InputException($"{path}: the folder holds no tokenizer.json and is no model folder ({what} takes {Expected})");
        ModelFolder folder;
        try
        {
            folder = SentenceEncoder.Describe(path);
        }
        catch (Exception e) when (e is ModelFormatException or HubException)
        {
            throw new InputException($"{path}: the folder holds no tokenizer.json and its model does not load: {e.Message} ({what} takes {Expected})");
        }
        file = Path.Combine(folder.TransformerPath, "tokenizer.json");
        return File.Exists(file) ? file
            : throw new InputException($"{path}: its model reads the tokenizer of {folder.TransformerPath}, which holds no tokenizer.json ({what} takes {Expected})");
    }

    /// <summary>
    /// The model folder Skald loads <paramref name="path"/> as (<see cref="SentenceEncoder.Describe"/>), when it is a
    /// folder a model loads from whose tokenizer lies elsewhere (an adapter folder, a sentence-transformers folder) or
    /// beside it, a hub id that is no local path read from its snapshot; null for a file, a missing path (or a hub id
    /// the hub does not answer: <see cref="Resolve"/> names it), a folder of a tokenizer alone, or a folder that does not load.
    /// </summary>
    public static ModelFolder? Model(string path)
    {
        try
        {
            path = HubModels.Resolve(path, quiet: false);
        }
        catch (HubException)
        {
            return null;
        }
        if (!Directory.Exists(path) || !IsModelFolder(path) && !File.Exists(Path.Combine(path, "config.json"))) return null;
        try
        {
            return SentenceEncoder.Describe(path);
        }
        catch (Exception e) when (e is ModelFormatException or HubException)
        {
            return null;
        }
    }

    // A folder a model loads from whose tokenizer may lie elsewhere: an adapter folder (its base's) or a
    // sentence-transformers folder (its Transformer module's).
    private static bool IsModelFolder(string path) =>
        ModelFolder.IsAdapterFolder(path) || File.Exists(Path.Combine(path, "modules.json"));
}
