using Skald.Cli.CommandLine;

namespace Skald.Cli.IO;

/// <summary>Checks an output path against the files a verb reads, so writing the result never replaces its input.</summary>
internal static class OutputPath
{
    /// <summary>Throws a usage error when <paramref name="output"/> is the same file as one of <paramref name="inputs"/>.</summary>
    public static void NotAnInput(string output, params string?[] inputs)
    {
        string full = Resolve(output);
        foreach (var input in inputs)
        {
            if (input is not null && string.Equals(full, Resolve(input), StringComparison.Ordinal))
                throw new UsageException($"--output {output} is the input {input}; writing it would replace what is being read");
        }
    }

    /// <summary>The absolute path with links followed (an output that is a link to the input is the input).</summary>
    private static string Resolve(string path)
    {
        string full = Path.GetFullPath(path);
        try
        {
            if (new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true) is { } target) return Path.GetFullPath(target.FullName);
        }
        catch (IOException)
        {
        }
        return full;
    }
}
