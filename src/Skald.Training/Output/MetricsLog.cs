using System.Text;
using System.Text.Json;

namespace Skald.Training.Output;

/// <summary>
/// <c>metrics.jsonl</c>: one JSON object per logging step (<c>step</c>, <c>epoch</c>, <c>loss</c>,
/// <c>learning_rate</c>, <c>grad_norm</c>, and <c>eval_*</c> metrics when evaluation ran), flushed as written.
/// A resumed run first drops the rows after its checkpoint's step, so the log reads as one uninterrupted run.
/// </summary>
public sealed class MetricsLog : IDisposable
{
    private readonly StreamWriter writer;

    /// <summary>Opens <paramref name="path"/>: truncated for a new run, cut after <paramref name="resumeStep"/> for a resumed one.</summary>
    public MetricsLog(string path, int? resumeStep)
    {
        Path = path;
        var keep = new List<string>();
        if (resumeStep is { } step && File.Exists(path))
        {
            foreach (var line in File.ReadAllLines(path))
            {
                if (RowStep(line) is { } s && s <= step) keep.Add(line);
            }
        }
        string tmp = path + ".tmp";
        File.WriteAllLines(tmp, keep, new UTF8Encoding(false));
        File.Move(tmp, path, overwrite: true);
        writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Appends a row (keys in the given order; doubles written round-trip, non-finite as null).</summary>
    public void Write(IEnumerable<KeyValuePair<string, double>> row)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            foreach (var (k, v) in row)
            {
                if (!double.IsFinite(v)) w.WriteNull(k);
                else if (k == "step") w.WriteNumber(k, (long)v);
                else w.WriteNumber(k, v);
            }
            w.WriteEndObject();
        }
        writer.WriteLine(Encoding.UTF8.GetString(ms.ToArray()));
        writer.Flush();
    }

    /// <summary>Reads all rows of a metrics file.</summary>
    public static IReadOnlyList<Dictionary<string, double?>> ReadAll(string path) =>
        File.ReadAllLines(path).Where(l => l.Length > 0).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            return doc.RootElement.EnumerateObject().ToDictionary(p => p.Name,
                p => p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetDouble() : (double?)null);
        }).ToList();

    /// <summary>The largest step a row of <paramref name="path"/> holds (null when none or no file): how far a run got.</summary>
    public static int? LastStep(string path) =>
        File.Exists(path) ? File.ReadLines(path).Select(RowStep).Where(s => s is not null).DefaultIfEmpty(null).Max() : null;

    private static int? RowStep(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.TryGetProperty("step", out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetInt32(out int v) ? v : null;
        }
        catch (JsonException)
        {
            return null; // a half-written last line from a kill
        }
    }

    /// <inheritdoc />
    public void Dispose() => writer.Dispose();
}
