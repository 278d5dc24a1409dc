using System.Text.Json;
using Skald.Models;
using Skald.Models.Checkpoints;
using Skald.Models.Modules;
using Skald.Retrieval.Remote;
using Skald.Tensors.Autograd;
using Skald.Tokenizers.Serialization;

namespace Skald.Evaluation.Models;

/// <summary>
/// A query adapter trained over a remote model (<see cref="RemoteModelSpec.AdapterFile"/> and its Dense module
/// folders, written by <c>skald adapter train --model openai:…</c>): the remote model it adapts and the Dense chain
/// applied to that model's query embeddings.
/// </summary>
/// <param name="Spec">The remote base model.</param>
/// <param name="Query">The Dense modules, in order.</param>
public sealed record RemoteAdapterFolder(RemoteModelSpec Spec, IReadOnlyList<DenseModule> Query)
{
    /// <summary>Whether <paramref name="dir"/> holds a remote-model adapter.</summary>
    public static bool Is(string dir) => File.Exists(Path.Combine(dir, RemoteModelSpec.AdapterFile));

    /// <summary>Reads the folder; problems are <see cref="ModelFormatException"/>s naming the file.</summary>
    public static RemoteAdapterFolder Read(string dir)
    {
        string file = Path.Combine(dir, RemoteModelSpec.AdapterFile);
        using var doc = JsonFile.Read(file, m => new ModelFormatException(m));
        var root = doc.RootElement;
        if (!root.TryGetProperty("base", out var b) || b.ValueKind != JsonValueKind.String)
            throw new ModelFormatException($"{file}: missing string \"base\" (openai:URL#MODEL)");
        if (!root.TryGetProperty("query", out var q) || q.ValueKind != JsonValueKind.Array)
            throw new ModelFormatException($"{file}: missing array \"query\" (the Dense module folders)");
        var spec = RemoteModelSpec.Parse(b.GetString()!);
        var modules = q.EnumerateArray().Select(e => DenseModule.Load(FolderPaths.Inside(dir, e.GetString() ?? "", $"{file}: query"))).ToArray();
        for (int i = 1; i < modules.Length; i++)
        {
            if (modules[i].InFeatures != modules[i - 1].OutFeatures)
                throw new ModelFormatException($"{file}: query module {i} takes {modules[i].InFeatures} values, the one before gives {modules[i - 1].OutFeatures}");
        }
        return new RemoteAdapterFolder(spec, modules);
    }

    /// <summary>The Dense chain over <paramref name="x"/> (rows of the remote model's width).</summary>
    public float[][] Apply(IReadOnlyList<float[]> x)
    {
        if (x.Count == 0 || Query.Count == 0) return [.. x];
        int d = x[0].Length;
        if (d != Query[0].InFeatures) throw new ModelFormatException($"the adapter takes {Query[0].InFeatures} values but {Spec} gives {d}");
        var flat = new float[x.Count * d];
        for (int i = 0; i < x.Count; i++) x[i].CopyTo(flat, i * d);
        var tape = new Tape(recording: false);
        var y = tape.Constant(flat, x.Count, d); // [B, D]
        foreach (var m in Query) y = m.Forward(tape, y);
        return [.. Enumerable.Range(0, x.Count).Select(i => y.Span.Slice(i * y.Cols, y.Cols).ToArray())];
    }
}
