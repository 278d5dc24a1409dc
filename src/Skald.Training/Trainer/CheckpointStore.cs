using System.Globalization;
using Skald.Models;
using Skald.Models.Checkpoints;
using Skald.Tokenizers.Serialization;
using Skald.Training.Config;

namespace Skald.Training.Trainer;

/// <summary>
/// Checkpoints under <c>output.dir/checkpoints/</c>: <c>step-N/</c> with <c>model.safetensors</c> (every parameter by
/// its name), <c>optimizer.safetensors</c> and <c>trainer_state.json</c>. Each is written into a temporary folder and
/// renamed into place, so a kill leaves either the whole checkpoint or none; only the newest K are kept. The best
/// evaluated weights live in <c>best/</c>, written the same way.
/// </summary>
public sealed class CheckpointStore(string root, int keep)
{
    private const string Prefix = "step-";

    /// <summary>The checkpoints folder.</summary>
    public string Root { get; } = root;

    /// <summary>Folder of the best weights.</summary>
    public string BestPath => System.IO.Path.Combine(Root, "best");

    /// <summary>Complete checkpoints, oldest first.</summary>
    public IReadOnlyList<(int Step, string Path)> List()
    {
        if (!Directory.Exists(Root)) return [];
        var list = new List<(int, string)>();
        foreach (var dir in Directory.GetDirectories(Root, Prefix + "*"))
        {
            string name = System.IO.Path.GetFileName(dir);
            if (int.TryParse(name.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int step)
                && File.Exists(System.IO.Path.Combine(dir, "trainer_state.json")))
                list.Add((step, dir));
        }
        return list.OrderBy(x => x.Item1).ToList();
    }

    /// <summary>
    /// Throws a one-line <see cref="TrainingException"/> naming a file where the store writes a folder (<c>step-N</c>,
    /// <c>best</c>): resuming would pass over it, and saving there would fail after all the training before it.
    /// </summary>
    public void CheckNoFileInTheWay()
    {
        if (!Directory.Exists(Root)) return;
        foreach (var file in Directory.GetFiles(Root).Order(StringComparer.Ordinal))
        {
            string name = System.IO.Path.GetFileName(file);
            if (name == "best" || (name.StartsWith(Prefix, StringComparison.Ordinal)
                && int.TryParse(name.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                throw new TrainingException($"{file}: is a file; the run writes a checkpoint folder there (move the file away)");
        }
    }

    /// <summary>The newest complete checkpoint, or null.</summary>
    public string? Latest() => List() is { Count: > 0 } l ? l[^1].Path : null;

    /// <summary>Writes checkpoint <c>step-N</c> atomically and prunes old ones.</summary>
    /// <remarks><paramref name="buffers"/>: a model's state besides its parameters (a CSR model's latent statistics), saved beside them.</remarks>
    public string Save(TrainerState state, IReadOnlyList<Parameter> parameters, IReadOnlyList<TensorToWrite> optimizerState,
        IReadOnlyList<TensorToWrite>? buffers = null)
    {
        string final = System.IO.Path.Combine(Root, Prefix + state.GlobalStep);
        WriteFolder(final, tmp =>
        {
            SafeTensorsWriter.Write(System.IO.Path.Combine(tmp, "model.safetensors"), Tensors(parameters).Concat(buffers ?? []));
            SafeTensorsWriter.Write(System.IO.Path.Combine(tmp, "optimizer.safetensors"), optimizerState);
            WriteText(System.IO.Path.Combine(tmp, "trainer_state.json"), state.ToJson());
        });
        var all = List();
        for (int i = 0; i < all.Count - keep; i++) Directory.Delete(all[i].Path, recursive: true);
        return final;
    }

    /// <summary>Writes the best weights (with a small JSON note) atomically.</summary>
    public void SaveBest(IReadOnlyList<Parameter> parameters, string metric, double value, int step) =>
        WriteFolder(BestPath, tmp =>
        {
            SafeTensorsWriter.Write(System.IO.Path.Combine(tmp, "model.safetensors"), Tensors(parameters));
            WriteText(System.IO.Path.Combine(tmp, "best.json"),
                $"{{\"metric\": \"{metric}\", \"value\": {value.ToString("R", CultureInfo.InvariantCulture)}, \"step\": {step}}}\n");
        });

    /// <summary>Reads a checkpoint folder.</summary>
    public static LoadedCheckpoint Load(string path)
    {
        string statePath = System.IO.Path.Combine(path, "trainer_state.json");
        TrainerState state;
        try
        {
            // JsonFile words a file that is not JSON (truncated by a crash: "line L, column C") and an empty one.
            using var json = JsonFile.Read(statePath, message => new TrainingException(message));
            state = TrainerState.FromJson(json.RootElement.GetRawText());
        }
        catch (System.Text.Json.JsonException e)
        {
            // A value of the wrong type: the field by its JSON path, the parser's reason without its 0-based position.
            string field = e.Path is { Length: > 2 } jsonPath && jsonPath.StartsWith("$.", StringComparison.Ordinal) ? $"{jsonPath[2..]}: " : "";
            throw new TrainingException($"{statePath}: unreadable trainer state ({field}{JsonLineError.Reason(e)})", e);
        }
        catch (FormatException e)
        {
            throw new TrainingException($"{statePath}: unreadable trainer state ({e.Message})", e);
        }
        return new LoadedCheckpoint(path, state, ReadAll(System.IO.Path.Combine(path, "model.safetensors")),
            ReadAll(System.IO.Path.Combine(path, "optimizer.safetensors")));
    }

    /// <summary>All tensors of a safetensors file as float arrays.</summary>
    public static Dictionary<string, float[]> ReadAll(string file)
    {
        try
        {
            using var f = SafeTensorsFile.Open(file);
            return f.Tensors.Keys.ToDictionary(k => k, f.ReadFloat32, StringComparer.Ordinal);
        }
        catch (ModelFormatException e)
        {
            throw new TrainingException(e.Message, e);
        }
    }

    /// <summary>Copies saved values into the parameters; every parameter must be present with its size.</summary>
    public static void Restore(IReadOnlyList<Parameter> parameters, IReadOnlyDictionary<string, float[]> weights, string source)
    {
        foreach (var p in parameters)
        {
            if (!weights.TryGetValue(p.Name, out var w))
                throw new TrainingException($"{source}: parameter '{p.Name}' is missing (was the checkpoint written for another model?)");
            if (w.Length != p.Data.Length)
                throw new TrainingException($"{source}: parameter '{p.Name}' holds {w.Length} values, the model has {p.Data.Length}");
            w.CopyTo(p.Data.Span);
        }
    }

    private static IEnumerable<TensorToWrite> Tensors(IReadOnlyList<Parameter> parameters) =>
        parameters.Select(p => new TensorToWrite(p.Name, p.Shape, p.Data));

    /// <summary>Builds a folder under a temporary name, then renames it over <paramref name="final"/>.</summary>
    private void WriteFolder(string final, Action<string> fill)
    {
        Directory.CreateDirectory(Root);
        foreach (var stale in Directory.GetDirectories(Root, ".tmp-*")) Directory.Delete(stale, recursive: true);
        string name = System.IO.Path.GetFileName(final);
        string tmp = System.IO.Path.Combine(Root, $".tmp-{name}-{Environment.ProcessId}");
        string old = System.IO.Path.Combine(Root, $".tmp-old-{name}-{Environment.ProcessId}");
        Directory.CreateDirectory(tmp);
        try
        {
            fill(tmp);
            if (Directory.Exists(final)) Directory.Move(final, old);
            Directory.Move(tmp, final);
            if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        }
        finally
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        }
    }

    private static void WriteText(string path, string text)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        var bytes = new System.Text.UTF8Encoding(false).GetBytes(text);
        fs.Write(bytes);
        fs.Flush(true);
    }
}
