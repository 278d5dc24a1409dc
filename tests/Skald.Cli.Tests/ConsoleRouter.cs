using System.Text;

namespace Skald.Cli.Tests;

/// <summary>
/// The test process's <see cref="Console.Out"/> and <see cref="Console.Error"/>, installed once (<see cref="Install"/>):
/// every write goes to the writer its async flow was given by <see cref="Capture"/> (an in-process skald run, and
/// whatever tasks and threads it starts), else to the console's own writer. So in-process runs on several test threads
/// at once each keep their own output, where swapping the console with <see cref="Console.SetOut"/> per run would mix them.
/// </summary>
internal sealed class ConsoleRouter : TextWriter
{
    private static readonly object Gate = new();
    private static ConsoleRouter? stdout;
    private static ConsoleRouter? stderr;

    private readonly TextWriter fallback;
    private readonly AsyncLocal<TextWriter?> current = new();

    private ConsoleRouter(TextWriter fallback) => this.fallback = fallback;

    /// <summary>Routes this flow's console output to <paramref name="output"/> and <paramref name="error"/> until disposed.</summary>
    public static Scope Capture(TextWriter output, TextWriter error)
    {
        Install();
        var scope = new Scope(stdout!.current.Value, stderr!.current.Value);
        stdout.current.Value = output;
        stderr.current.Value = error;
        return scope;
    }

    /// <summary>Makes the routers the console's writers (once per process).</summary>
    private static void Install()
    {
        lock (Gate)
        {
            if (stdout is not null) return;
            stdout = new ConsoleRouter(Console.Out);
            stderr = new ConsoleRouter(Console.Error);
            Console.SetOut(stdout); // the console wraps each in a synchronised writer: one write at a time
            Console.SetError(stderr);
            Skald.Cli.Output.Terminal.OpenStdoutBytes = () => new ConsoleOutStream(); // search's and rerank's JSON bytes, through Console.Out
        }
    }

    private TextWriter Target => current.Value ?? fallback;

    /// <inheritdoc/>
    public override Encoding Encoding => fallback.Encoding;

    /// <inheritdoc/>
    public override void Write(char value) => Target.Write(value);

    /// <inheritdoc/>
    public override void Write(char[] buffer, int index, int count) => Target.Write(buffer, index, count);

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<char> buffer) => Target.Write(buffer);

    /// <inheritdoc/>
    public override void Write(string? value) => Target.Write(value);

    /// <inheritdoc/>
    public override void WriteLine() => Target.WriteLine();

    /// <inheritdoc/>
    public override void WriteLine(string? value) => Target.WriteLine(value);

    /// <inheritdoc/>
    public override void WriteLine(ReadOnlySpan<char> buffer) => Target.WriteLine(buffer);

    /// <inheritdoc/>
    public override void Flush() => Target.Flush();

    /// <summary>One <see cref="Capture"/>: disposing it gives the flow back the writers it had before.</summary>
    public readonly struct Scope(TextWriter? output, TextWriter? error) : IDisposable
    {
        /// <inheritdoc/>
        public void Dispose()
        {
            stdout!.current.Value = output;
            stderr!.current.Value = error;
        }
    }
}
