using Skald.Cli.CommandLine;

namespace Skald.Cli.IO;

/// <summary>Checks an output path against the files a verb reads, so writing the result never replaces its input.</summary>
internal static class OutputPath
{
    /// <summary>Throws a usage error when <paramref name="output"/> is the same file as one of <paramref name="inputs"/>.</summary>
    public static void NotAnInput(string output, params string?[] inputs) => NotAnInputOf("--output", output, inputs);

    /// <summary>
    /// Throws a usage error naming <paramref name="option"/> when the file it writes, <paramref name="output"/>, is the
    /// same file as one of <paramref name="inputs"/>.
    /// </summary>
    public static void NotAnInputOf(string option, string output, params string?[] inputs)
    {
        string full = Resolve(output);
        foreach (var input in inputs)
        {
            if (input is not null && string.Equals(full, Resolve(input), StringComparison.Ordinal))
                throw new UsageException($"{option} {output} is the input {input}; writing it would replace what is being read");
        }
    }

    /// <summary>
    /// Throws a usage error when the files that <paramref name="option"/> and <paramref name="otherOption"/> write,
    /// <paramref name="path"/> and <paramref name="other"/>, are the same file.
    /// </summary>
    public static void NotTheSame(string option, string path, string otherOption, string other)
    {
        if (string.Equals(Resolve(path), Resolve(other), StringComparison.Ordinal))
            throw new UsageException($"{option} {path} is the {otherOption} file; name another");
    }

    /// <summary>
    /// Throws a usage error naming <paramref name="option"/> when the file it writes, <paramref name="output"/>, is one of
    /// <paramref name="inputs"/> or lies inside one that is a folder (documents read recursively: a journal there would
    /// be read as a document on the next run).
    /// </summary>
    public static void NotInAnInputOf(string option, string output, params string?[] inputs)
    {
        NotAnInputOf(option, output, inputs);
        string full = Resolve(output);
        foreach (var input in inputs)
        {
            if (input is not null && Directory.Exists(input) && Inside(full, Resolve(input)))
                throw new UsageException($"{option} {output} is inside the input {input}; write it outside the folder being read");
        }
    }

    /// <summary>
    /// Throws a usage error naming <paramref name="option"/> when the folder it replaces as a whole,
    /// <paramref name="output"/>, is one of <paramref name="inputs"/> or holds one (an earlier output's corpus.jsonl
    /// given as documents would be replaced by what is made from it).
    /// </summary>
    public static void NotHoldingAnInputOf(string option, string output, IEnumerable<string?> inputs)
    {
        string folder = Resolve(output);
        foreach (var input in inputs)
        {
            if (input is null) continue;
            string full = Resolve(input);
            if (string.Equals(full, folder, StringComparison.Ordinal))
                throw new UsageException($"{option} {output} is the input {input}; writing it would replace what is being read");
            if (Inside(full, folder))
                throw new UsageException($"{option} {output} holds the input {input}; writing it would replace what is being read");
        }
    }

    /// <summary>
    /// Throws a usage error naming <paramref name="option"/> when the file it writes, <paramref name="output"/>, is a file
    /// of one of <paramref name="folders"/> (a model or adapter folder the verb loads: its config.json, tokenizer.json or
    /// weights would be replaced); a new file inside one is allowed.
    /// </summary>
    public static void NotAFileOf(string option, string output, IEnumerable<string> folders)
    {
        string full = Resolve(output);
        if (!File.Exists(full)) return;
        foreach (var folder in folders)
        {
            if (Inside(full, Resolve(folder)))
                throw new UsageException($"{option} {output} is a file of the model folder {folder}; writing it would replace the model's file");
        }
    }

    /// <summary>
    /// Throws a usage error when the output folder <paramref name="output"/> is the input folder <paramref name="input"/>
    /// or lies inside it (a new model written into the model folder it is made from would change that folder).
    /// </summary>
    public static void NotInsideInput(string output, string input)
    {
        string full = Resolve(output), folder = Resolve(input);
        if (string.Equals(full, folder, StringComparison.Ordinal))
            throw new UsageException($"--output {output} is the input {input}; writing it would replace what is being read");
        if (Inside(full, folder))
            throw new UsageException($"--output {output} is inside the input {input}; write it outside the folder being read");
    }

    /// <summary>Whether the resolved path <paramref name="full"/> lies below the resolved folder <paramref name="folder"/>.</summary>
    private static bool Inside(string full, string folder) =>
        full.StartsWith(Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>
    /// The absolute path with links followed in each part that exists (an output that is a link to the input is the
    /// input; a new folder under a link to the input lies inside the input).
    /// </summary>
    private static string Resolve(string path)
    {
        string full = Path.GetFullPath(path);
        string root = Path.GetPathRoot(full) ?? "";
        string resolved = root;
        var parts = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < parts.Length; i++)
        {
            string next = Path.Combine(resolved, parts[i]);
            try
            {
                if (new FileInfo(next).ResolveLinkTarget(returnFinalTarget: true) is { } target) next = Path.GetFullPath(target.FullName);
            }
            catch (IOException)
            {
            }
            if (!Path.Exists(next)) return Path.Combine([next, .. parts[(i + 1)..]]); // the rest does not exist: no links in it
            resolved = next;
        }
        return resolved;
    }
}
