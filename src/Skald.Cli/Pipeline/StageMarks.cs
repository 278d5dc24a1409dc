using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Skald.Cli.IO;

namespace Skald.Cli.Pipeline;

/// <summary>
/// Which stages of a pipeline an earlier run finished, so that the same pipeline run again (after Ctrl-C, a kill or a
/// failed stage) starts at the first stage not done instead of redoing them all. A finished stage leaves
/// OUTPUT/.skald-stages/NAME.json with its key and output; the key covers the stage's keys as given (after --set), the
/// content of the files and folders it names (<see cref="RunFingerprint"/>), the commit each hub id it loads resolves
/// to and the keys of every stage before it, so
/// a stage whose definition, inputs or earlier stages changed runs again, and so does every stage after one that runs.
/// A stage that starts leaves its key without an output: run again with the same key after a kill, it resumes from
/// the checkpoints it left in OUTPUT/runs/NAME; with another key they are deleted and it starts over.
/// </summary>
internal sealed class StageMarks(string output)
{
    private string Folder => Path.Combine(output, ".skald-stages");

    /// <summary>
    /// The key of <paramref name="stage"/>, after the stages whose keys chained to <paramref name="previous"/>:
    /// its definition (<see cref="StageConfig.Definition"/>), the content of the files and folders its keys name
    /// (<see cref="RunFingerprint.OfTree"/>) and of <paramref name="inputs"/>, the files it reads that its keys do not
    /// name (a train stage's config's data and evaluation files). A folder is read without the pipeline's
    /// <paramref name="output"/> inside it (a documents folder holding the output: the stages' own outputs and marks
    /// are not their input, and would make every run a new key). <paramref name="snapshots"/> names the commit each hub
    /// id the stage loads resolves to (<see cref="PipelinePreflight.HubSnapshots"/>): a new snapshot is a new key.
    /// </summary>
    public static string Key(string previous, StageConfig stage, IEnumerable<string> inputs, string output, IEnumerable<string> snapshots)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(previous + "\n" + stage.Definition + "\n"));
        foreach (string snapshot in snapshots) hash.AppendData(Encoding.UTF8.GetBytes($"hub {snapshot}\n"));
        var named = stage.Keys.PathsRead.Concat(stage.Keys.FilesRead).Select(p => p.Value);
        foreach (string value in named.Concat(inputs).Distinct(StringComparer.Ordinal))
        {
            if (RunFingerprint.OfTree(value, skip: output) is { } identity) hash.AppendData(Encoding.UTF8.GetBytes($"{value}\n{identity}\n"));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The output an earlier run of <paramref name="name"/> with this <paramref name="key"/> left, or null when it must run.</summary>
    public string? Done(string name, string key) =>
        Read(name, key) is (true, { Length: > 0 } rel) && Path.Combine(output, rel) is var path && (File.Exists(path) || Directory.Exists(path)) ? path : null;

    /// <summary>
    /// Whether a run of <paramref name="name"/> with this <paramref name="key"/> began here (<see cref="Start"/>),
    /// finished or not: what it left in OUTPUT/runs/NAME (a train stage's checkpoints) is then this stage's to resume
    /// from, and otherwise another definition's, other inputs' or an earlier stage's older output's.
    /// </summary>
    public bool Began(string name, string key) => Read(name, key).SameKey;

    /// <summary>Forgets the marks of <paramref name="stages"/> (the stages after one that runs again, which read its output).</summary>
    public void Forget(IEnumerable<StageConfig> stages)
    {
        if (!Directory.Exists(Folder)) return;
        foreach (var stage in stages) File.Delete(Mark(stage.Name));
    }

    /// <summary>Records that <paramref name="name"/> starts with <paramref name="key"/> (<see cref="Began"/>; not <see cref="Done"/>).</summary>
    public void Start(string name, string key) => Write(name, new() { ["key"] = key });

    /// <summary>Records that <paramref name="name"/> finished with <paramref name="key"/> and wrote <paramref name="result"/>.</summary>
    public void Record(string name, string key, string result) => Write(name, new()
    {
        ["key"] = key,
        ["output"] = Path.GetRelativePath(Path.GetFullPath(output), Path.GetFullPath(result)),
    });

    private void Write(string name, Dictionary<string, string> mark)
    {
        Directory.CreateDirectory(Folder);
        string json = JsonSerializer.Serialize(mark);
        AtomicFile.Write(Mark(name), s => s.Write(Encoding.UTF8.GetBytes(json)));
    }

    // Whether the mark of name holds key, and the output it records (null when it records none): no mark, another key
    // or a damaged mark are (false, null).
    private (bool SameKey, string? Output) Read(string name, string key)
    {
        string file = Mark(name);
        if (!File.Exists(file)) return (false, null);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            if (!doc.RootElement.TryGetProperty("key", out var k) || k.GetString() != key) return (false, null);
            return (true, doc.RootElement.TryGetProperty("output", out var o) ? o.GetString() : null);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or IOException)
        {
            return (false, null); // a damaged mark is no mark: the stage runs again
        }
    }

    private string Mark(string name) => Path.Combine(Folder, name + ".json");
}
