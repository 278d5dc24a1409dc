using System.Diagnostics;
using System.Text;

namespace Skald.Data.IO;

/// <summary>
/// A command-line program the data tools run (apertium, tesseract, pdftoppm): found on the PATH, started with an
/// argument list (no shell), its input written and its output read as UTF-8, killed with its children when it overruns.
/// </summary>
internal static class ExternalProgram
{
    /// <summary>The full path of <paramref name="name"/> on the PATH, or null.</summary>
    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    /// <summary>
    /// Runs <paramref name="program"/> with <paramref name="arguments"/>, writing <paramref name="input"/> (if any) to its
    /// standard input; returns its exit code and outputs. Overrunning <paramref name="timeout"/> is a <see cref="DataException"/>.
    /// </summary>
    public static (int ExitCode, string Output, string Error) Run(string program, IEnumerable<string> arguments, string? input = null,
        TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardInput = input is not null, RedirectStandardOutput = true, RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8, StandardErrorEncoding = Encoding.UTF8,
        };
        if (input is not null) psi.StandardInputEncoding = new UTF8Encoding(false);
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new DataException($"{program} could not be started");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            p.StandardInput.Write(input);
            p.StandardInput.Close();
        }
        if (!p.WaitForExit(timeout ?? Timeout.InfiniteTimeSpan))
        {
            try
            {
                p.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // it ended meanwhile
            }
            throw new DataException($"{Path.GetFileName(program)} did not finish within {timeout!.Value.TotalSeconds:0} s");
        }
        p.WaitForExit(); // the output readers are done
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The first non-empty line of a program's error output (for one-line messages).</summary>
    public static string FirstLine(string error) =>
        error.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "no message";
}
