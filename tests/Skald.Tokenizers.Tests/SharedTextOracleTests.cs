using System.Diagnostics;
using Xunit.Abstractions;

namespace Skald.Tokenizers.Tests;

/// <summary>
/// Runs the oracle (fixtures/tokenizers/oracle_shared.mjs, HF tokenizers for node) once per test run
/// over the shared UD texts (&lt;repo&gt;/../shared/data/text/ud-*.txt) for one fixture tokenizer of
/// every kind, into a temporary directory. If $SKALD_ORACLE_DIR holds output already, that is used
/// instead (and then every tokenizer found there is compared).
/// </summary>
public sealed class SharedOracleRun : IDisposable
{
    /// <summary>
    /// The tokenizers compared when node runs at test time (one per model kind, with the Llama 3 and
    /// possessive cl100k regexes, to keep the run short). With $SKALD_ORACLE_DIR: every fixture.
    /// </summary>
    public static string[] Names => Environment.GetEnvironmentVariable("SKALD_ORACLE_DIR") is not null
        ? OracleFixtureTests.Fixtures().Cast<object[]>().Select(x => (string)x[0]).ToArray()
        : ["wordpiece-uncased", "unigram", "bpe-llama3", "bpe-cl100k", "bpe-llama2", "wordlevel"];

    private readonly bool _owned;

    /// <summary>Runs node (or finds existing output).</summary>
    public SharedOracleRun()
    {
        string? env = Environment.GetEnvironmentVariable("SKALD_ORACLE_DIR");
        if (env is not null && System.IO.Directory.Exists(env) && System.IO.Directory.EnumerateFiles(env, "ud-*.jsonl", SearchOption.AllDirectories).Any())
        {
            Directory = env;
            return;
        }
        string fixtures = FixturePaths.TokenizerFixtures;
        string texts = Path.GetFullPath(Path.Combine(FixturePaths.RepoRoot, "..", "shared", "data", "text"));
        if (!System.IO.Directory.Exists(texts)) { Reason = $"no shared texts at {texts}"; return; }
        if (!System.IO.Directory.Exists(Path.Combine(fixtures, "node_modules", "tokenizers"))) { Reason = "the oracle is not installed (run `npm ci` in fixtures/tokenizers)"; return; }
        string dir = Path.Combine(Path.GetTempPath(), $"skald-oracle-{Guid.NewGuid():N}");
        try
        {
            var psi = new ProcessStartInfo("node") { WorkingDirectory = fixtures, RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add("oracle_shared.mjs");
            psi.ArgumentList.Add(dir);
            foreach (var n in Names) psi.ArgumentList.Add(n);
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(120_000)) { p.Kill(true); Reason = "node timed out"; return; }
            if (p.ExitCode != 0) { Reason = $"node failed: {stderr.Result}"; return; }
            Directory = dir;
            _owned = true;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Reason = $"node is not available ({ex.Message})";
        }
    }

    /// <summary>Where the oracle output is, or null.</summary>
    public string? Directory { get; }

    /// <summary>Why there is no output.</summary>
    public string Reason { get; } = "";

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_owned && Directory is not null) System.IO.Directory.Delete(Directory, true);
    }
}

/// <summary>Skald against the oracle on the shared UD texts (ids, offsets and decoded text of every line).</summary>
public sealed class SharedTextOracleTests(SharedOracleRun run, ITestOutputHelper output) : IClassFixture<SharedOracleRun>
{
    /// <summary>The tokenizers compared.</summary>
    public static TheoryData<string> Names() => new(SharedOracleRun.Names);

    [Theory]
    [MemberData(nameof(Names))]
    public void MatchesOracleOnSharedTexts(string name)
    {
        if (run.Directory is null)
        {
            output.WriteLine($"NOT RUN: {run.Reason}");
            return;
        }
        string dir = Path.Combine(run.Directory, name);
        if (!Directory.Exists(dir))
        {
            output.WriteLine($"NOT RUN: no oracle output in {dir}");
            return;
        }
        var tokenizer = Tokenizer.FromFile(FixturePaths.TokenizerJson(name));
        int compared = 0;
        var mismatches = new List<string>();
        foreach (var file in Directory.GetFiles(dir, "ud-*.jsonl").Order(StringComparer.Ordinal))
        {
            var (n, m) = OracleComparer.CompareFile(tokenizer, file);
            compared += n;
            mismatches.AddRange(m.Select(x => $"{Path.GetFileName(file)}: {x}"));
        }
        output.WriteLine($"{name}: compared {compared} shared-text lines with the oracle, {mismatches.Count} mismatches");
        foreach (var m in mismatches.Take(10)) output.WriteLine(m);
        Assert.True(compared > 0, "no lines compared");
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {compared} differ; first:\n{string.Join("\n", mismatches.Take(3))}");
    }
}
