using Spectre.Console;

namespace Skald.Cli.Output;

/// <summary>
/// Where the verbs write. Spectre.Console draws bars and tables only on a terminal and without <c>--quiet</c>;
/// redirected output (pipes, files, tests) gets plain lines through <see cref="Console"/>, never an escape sequence.
/// </summary>
internal static class Terminal
{
    private static readonly Lazy<IAnsiConsole> Err = new(() => Create(Console.Error));
    private static readonly Lazy<IAnsiConsole> Out = new(() => Create(Console.Out));

    /// <summary>A Spectre console on stderr when stderr is a terminal and output is not quiet; otherwise null.</summary>
    public static IAnsiConsole? Stderr(bool quiet) => quiet || Console.IsErrorRedirected ? null : Err.Value;

    /// <summary>A Spectre console on stdout when stdout is a terminal and output is not quiet; otherwise null.</summary>
    public static IAnsiConsole? Stdout(bool quiet) => quiet || Console.IsOutputRedirected ? null : Out.Value;

    /// <summary>
    /// Opens standard output as bytes, for what is written as UTF-8 bytes (search's and rerank's JSON): the process's own
    /// stream. A test host that runs verbs in its own process (Skald.Cli.Tests) sets it once to a stream that writes
    /// through <see cref="Console.Out"/>, where it captures each run's output; nothing else sets it.
    /// </summary>
    internal static Func<Stream> OpenStdoutBytes { get; set; } = Console.OpenStandardOutput;

    /// <summary>A log line on stderr (through Spectre while a live bar is drawn, so the bar stays below it).</summary>
    public static void Log(string message, bool quiet)
    {
        if (quiet) return;
        if (Stderr(quiet) is { } console) console.WriteLine(message);
        else Console.Error.WriteLine(message);
    }

    private static IAnsiConsole Create(TextWriter writer) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(writer),
        Ansi = AnsiSupport.Detect,
        ColorSystem = ColorSystemSupport.Detect,
        Interactive = InteractionSupport.Detect,
    });
}
