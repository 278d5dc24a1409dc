namespace Skald.Cli.IO;

/// <summary>The tokenizer.json an option names: the file itself, or the one in a (model) folder it names.</summary>
internal static class TokenizerFile
{
    /// <summary>
    /// The tokenizer.json at <paramref name="path"/>, or in the folder <paramref name="path"/>; else an
    /// <see cref="InputException"/> in one line naming the path, what is there (nothing, or a folder without one) and what
    /// <paramref name="option"/> expects (a command's option, "--tokenizer", or a pipeline stage's key, "gen.tokenizer").
    /// </summary>
    public static string Resolve(string path, string option = "--tokenizer")
    {
        ArgumentNullException.ThrowIfNull(path);
        const string Expected = "a tokenizer.json file, or a folder holding one";
        string what = option.StartsWith('-') ? $"option {option}" : $"key {option}";
        if (File.Exists(path)) return path;
        if (!Directory.Exists(path)) throw new InputException($"{path}: no such file or folder ({what} takes {Expected})");
        string file = Path.Combine(path, "tokenizer.json");
        if (File.Exists(file)) return file;
        throw new InputException($"{path}: the folder holds no tokenizer.json ({what} takes {Expected})");
    }
}
