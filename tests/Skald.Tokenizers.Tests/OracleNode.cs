using System.Diagnostics;
using Xunit.Abstractions;

namespace Skald.Tokenizers.Tests;

/// <summary>Runs one of the node oracle scripts of fixtures/tokenizers (HF tokenizers for node) at test time.</summary>
internal static class OracleNode
{
    /// <summary>
    /// Runs <c>node</c> with <paramref name="args"/> in fixtures/tokenizers to its end, <paramref name="input"/> (if any)
    /// on its standard input: its exit code, standard output and standard error, or null (a NOT RUN line written to
    /// <paramref name="output"/>) when node cannot be started.
    /// </summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)?> RunAsync(IEnumerable<string> args, ITestOutputHelper output, string? input = null)
    {
        var psi = new ProcessStartInfo("node") { WorkingDirectory = FixturePaths.TokenizerFixtures, RedirectStandardInput = input is not null, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args) psi.ArgumentList.Add(arg);
        Process p;
        try
        {
            p = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            output.WriteLine($"NOT RUN: node is not available ({ex.Message})");
            return null;
        }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (input is not null)
            {
                await p.StandardInput.WriteAsync(input);
                p.StandardInput.Close();
            }
            await p.WaitForExitAsync();
            return (p.ExitCode, await stdout, await stderr);
        }
    }
}
