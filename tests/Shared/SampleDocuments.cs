using System.Collections.Concurrent;

namespace Skald.Tests;

/// <summary>
/// The bundled sample documents (samples/documents) and the indexes tests build of them, for every test project (linked
/// in by Directory.Build.props). An index of them is built once per test run (this test process) for each model and set
/// of build options, into a folder of this run's own (under <see cref="TestPaths.NewTempDir"/>, never a fixed path), the
/// first test to ask building it while the others that ask for the same one wait (safe under xunit's parallel test
/// classes). Such an index is for reading only (search, serve, open); a test that writes to it (add, delete, sync, a
/// file cut) takes its own copy (<see cref="CopyOfIndex"/>), as a test that changes a document takes a copy of the
/// documents (<see cref="Copy"/>).
/// </summary>
internal static class SampleDocuments
{
    /// <summary>The folder of the sample documents: read them, never change them (see <see cref="Copy"/>).</summary>
    public static string Folder { get; } = Path.Combine(Repository.Root, "samples", "documents");

    /// <summary>A fresh copy of the sample documents, folder <c>docs</c> in a new scratch folder, for a test that changes them.</summary>
    public static string Copy() => TestPaths.CopyFolder(Folder, Path.Combine(TestPaths.NewTempDir(), "docs"));

    // the indexes built so far in this run, by model and options; each built once, by the first test that asks
    private static readonly ConcurrentDictionary<string, Lazy<string>> Built = new(StringComparer.Ordinal);

    /// <summary>
    /// The index of the sample documents that <c>skald index build --model <paramref name="model"/> --documents
    /// <see cref="Folder"/> --output FOLDER -q <paramref name="options"/></c> builds, run by <paramref name="build"/> (in
    /// process or as a process: the index is the same) the first time this run asks for it; for reading only. A build
    /// that fails fails every test asking for it, with its exit code and error output.
    /// </summary>
    public static string Index(Func<string[], SkaldProcess.Result> build, string model, params string[] options)
    {
        ArgumentNullException.ThrowIfNull(build);
        string key = string.Join('\n', [model, .. options]);
        return Built.GetOrAdd(key, _ => new Lazy<string>(() => Build(build, model, options), LazyThreadSafetyMode.ExecutionAndPublication)).Value;
    }

    /// <summary>A copy of <see cref="Index"/>'s index (folder <c>idx</c> in a new scratch folder) for a test that writes to it.</summary>
    public static string CopyOfIndex(Func<string[], SkaldProcess.Result> build, string model, params string[] options) =>
        TestPaths.CopyFolder(Index(build, model, options), Path.Combine(TestPaths.NewTempDir(), "idx"));

    private static string Build(Func<string[], SkaldProcess.Result> build, string model, string[] options)
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = build(["index", "build", "--model", model, "--documents", Folder, "--output", folder, "-q", .. options]);
        if (r.ExitCode != 0) throw new InvalidOperationException($"index build of the sample documents with {model} {string.Join(' ', options)}: exit {r.ExitCode}: {r.Stderr}");
        return folder;
    }
}
