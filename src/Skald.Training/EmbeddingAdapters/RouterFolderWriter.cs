using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skald.Models;
using Skald.Models.Adapters;
using Skald.Models.Checkpoints;
using Skald.Models.Modules;
using Skald.Training.Output;

namespace Skald.Training.EmbeddingAdapters;

/// <summary>
/// Writes a trained <see cref="QueryAdapter"/> with its base model as a sentence-transformers 5 folder whose only
/// module is a <c>Router</c> (laid out as <c>Router.save</c> does, at
/// <see href="https://github.com/UKPLab/sentence-transformers/blob/v5.1.0/sentence_transformers/models/Router.py">v5.1.0</see>):
/// <c>modules.json</c> = [Router at path ""]; <c>router_config.json</c> = { types: id → module.Class, structure: route → ids,
/// parameters: { default_route: "document", allow_empty_key: true } }; one folder per module id,
/// <c>{route}_{index}_{Class}</c>. The document route is the base model's modules (<c>document_0_Transformer</c>,
/// <c>document_1_Pooling</c>, Dense, Normalize, copied from the base folder); the query route names the same ids, so
/// the base weights are stored once and both routes share them when Python loads the folder, followed by the adapter's
/// Dense modules (<c>query_N_Dense</c>). <c>SentenceTransformer(path).encode_query</c> then gives adapter(base(q)),
/// <c>encode_document</c> base(d), and <see cref="SentenceEncoder.Load(string, IReadOnlyList{string}?, Skald.Tensors.WeightPrecision)"/> reads it back (<see cref="RouterConfig"/>).
/// <para>
/// A base loaded from a PEFT adapter folder (its base with the adapter merged) keeps the adapter: the Transformer module is
/// written as sentence-transformers saves one with a peft adapter on it, the adapter recording its base and earlier
/// adapters (<see cref="AdapterBase.CopyTo"/>), not the base's weights.
/// </para>
/// <para>
/// A remote base model cannot be a sentence-transformers module: <see cref="SaveRemote"/> writes the adapter's Dense
/// folders and <c>remote_adapter.json</c> naming the remote model (Skald's own format; Python cannot load it).
/// </para>
/// </summary>
public static class RouterFolderWriter
{
    /// <summary>The file of a remote-base adapter folder.</summary>
    public const string RemoteFile = Retrieval.Remote.RemoteModelSpec.AdapterFile;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Writes base + adapter to <paramref name="output"/> (a new or empty folder), through a staging folder and a rename.</summary>
    public static void Save(SentenceEncoder baseModel, QueryAdapter adapter, string output)
    {
        var folder = baseModel.Folder;
        if (folder.DefaultRoute is not null) throw new ModelFormatException($"{folder.Path}: the base model is already a Router; adapt its base instead");
        if (folder.Llm2Vec is not null) throw new ModelFormatException($"{folder.Path}: an LLM2Vec folder cannot be a sentence-transformers Router route");
        string? peft = PeftSource(baseModel);
        Stage(output, dir =>
        {
            var types = new JsonObject();
            var document = new JsonArray();
            int index = 0;
            foreach (var (type, path) in BaseModules(baseModel))
            {
                string shortType = type[(type.LastIndexOf('.') + 1)..];
                string id = $"document_{index++}_{shortType}";
                string target = Path.Combine(dir, id);
                Directory.CreateDirectory(target);
                if (path is null)
                {
                    // A plain Hugging Face folder: its transformer files, and the Pooling Skald runs it with.
                    if (shortType == "Pooling") WriteJson(Path.Combine(target, "config.json"), ModelSaver.PoolingJson(baseModel.Pooling));
                }
                else
                {
                    CopyModule(path, target, isRoot: Path.GetFullPath(path) == Path.GetFullPath(folder.Path));
                }
                if (shortType == "Transformer" && peft is not null) WriteAdapterModule(peft, target, Path.Combine(Path.GetFullPath(output), id));
                if (shortType == "Transformer" && !File.Exists(Path.Combine(target, "sentence_bert_config.json")))
                    WriteJson(Path.Combine(target, "sentence_bert_config.json"), new JsonObject { ["max_seq_length"] = baseModel.MaxSeqLength, ["do_lower_case"] = false });
                types[id] = ClassPath(type);
                document.Add(id);
            }
            var query = (JsonArray)document.DeepClone();
            foreach (var id in WriteDense(adapter, dir, "query", index)) { types[id] = "sentence_transformers.models.Dense.Dense"; query.Add(id); }
            var structure = new JsonObject { ["query"] = query, ["document"] = document };
            WriteJson(Path.Combine(dir, RouterConfig.FileName), new JsonObject
            {
                ["types"] = types,
                ["structure"] = structure,
                ["parameters"] = new JsonObject { ["default_route"] = "document", ["allow_empty_key"] = true },
            });
            WriteJson(Path.Combine(dir, "modules.json"), new JsonArray(new JsonObject
            {
                ["idx"] = 0, ["name"] = "0", ["path"] = "", ["type"] = "sentence_transformers.models.Router",
            }));
            WriteJson(Path.Combine(dir, "config_sentence_transformers.json"), ModelSaver.SentenceTransformersConfig(folder));
        });
    }

    /// <summary>
    /// The PEFT adapter folder whose base, with it merged, <paramref name="model"/> was loaded as: the adapter folder given
    /// as the model (<see cref="SentenceEncoder.Source"/>), or the Transformer module of a sentence-transformers folder saved
    /// with an adapter on it; null for a model without adapters. A model with adapters merged besides those (loaded with
    /// <c>--adapters</c>) is refused: the route would name only some of them.
    /// </summary>
    private static string? PeftSource(SentenceEncoder model)
    {
        if (model.Adapters.Count == 0) return null;
        string? peft = ModelFolder.IsAdapterFolder(model.Source) ? model.Source
            : ModelFolder.IsAdapterModule(model.Folder.TransformerPath) ? model.Folder.TransformerPath : null;
        if (peft is null || SentenceEncoder.Sources(model.Source).Adapters.Count != model.Adapters.Count)
            throw new ModelFormatException(
                $"{model.Source}: loaded with other PEFT adapters merged ({string.Join(", ", model.Adapters)}); merge them into one model folder with skald merge and adapt that");
        return peft;
    }

    /// <summary>
    /// The Transformer module <paramref name="target"/> as sentence-transformers saves one with a peft adapter on it: the
    /// base's config and tokenizer without its weights, and the adapter (<see cref="AdapterBase.CopyTo"/>: its base and
    /// the adapters it was trained on top of recorded, so the route loads base + chain + adapter, as the model was loaded).
    /// </summary>
    private static void WriteAdapterModule(string adapter, string target, string finalPath)
    {
        foreach (var file in Directory.GetFiles(target).Where(f => Checkpoint.IsWeightsFile(Path.GetFileName(f)))) // safetensors or torch.save
            File.Delete(file);
        AdapterBase.CopyTo(adapter, target, finalPath);
    }

    /// <summary>
    /// Writes the adapter for a remote base model: <c>remote_adapter.json</c> ({ "base": "openai:URL#MODEL",
    /// "dimension": D, "query": [Dense folders in order], "kind": "linear"|"mlp" }) and the Dense folders.
    /// </summary>
    public static void SaveRemote(string remoteSpec, QueryAdapter adapter, string output)
    {
        Stage(output, dir =>
        {
            var ids = new JsonArray();
            foreach (var id in WriteDense(adapter, dir, "query", 0)) ids.Add(id);
            WriteJson(Path.Combine(dir, RemoteFile), new JsonObject
            {
                ["base"] = remoteSpec,
                ["dimension"] = adapter.Dimension,
                ["kind"] = adapter.Kind == QueryAdapterKind.Linear ? "linear" : "mlp",
                ["query"] = ids,
            });
        });
    }

    /// <summary>
    /// A class as Router.save names it, <c>{type(m).__module__}.{type(m).__name__}</c>
    /// (<c>sentence_transformers.models.Transformer.Transformer</c>), from modules.json's shorter form.
    /// </summary>
    private static string ClassPath(string type)
    {
        var parts = type.Split('.');
        return parts.Length >= 2 && parts[^1] == parts[^2] || !type.StartsWith("sentence_transformers.", StringComparison.Ordinal)
            ? type : $"{type}.{parts[^1]}";
    }

    /// <summary>The base model's modules as (class, folder); a null folder is a module written from the loaded model (plain HF folders).</summary>
    private static List<(string Type, string? Path)> BaseModules(SentenceEncoder model)
    {
        var folder = model.Folder;
        string modules = Path.Combine(folder.Path, "modules.json");
        if (!File.Exists(modules))
            return [("sentence_transformers.models.Transformer", folder.TransformerPath), ("sentence_transformers.models.Pooling", null)];
        using var doc = JsonDocument.Parse(File.ReadAllText(modules)); // already read and checked by ModelFolder.Read
        var list = new List<(string, string?)>();
        foreach (var m in doc.RootElement.EnumerateArray())
        {
            string type = m.GetProperty("type").GetString()!;
            string rel = m.TryGetProperty("path", out var p) ? p.GetString() ?? "" : "";
            list.Add((type, FolderPaths.Inside(folder.Path, rel, modules)));
        }
        return list;
    }

    /// <summary>A module's files; for the module saved in the model's root, only its top-level files, not the folder's own.</summary>
    private static void CopyModule(string source, string target, bool isRoot)
    {
        string[] notModule = ["modules.json", "config_sentence_transformers.json", "README.md", RouterConfig.FileName];
        if (!Directory.Exists(source)) return; // a module without files (Normalize)
        foreach (var file in Directory.GetFiles(source))
        {
            if (isRoot && notModule.Contains(Path.GetFileName(file))) continue;
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
        if (isRoot) return;
        foreach (var sub in Directory.GetDirectories(source))
        {
            string to = Path.Combine(target, Path.GetFileName(sub));
            Directory.CreateDirectory(to);
            CopyModule(sub, to, false);
        }
    }

    private static List<string> WriteDense(QueryAdapter adapter, string dir, string route, int first)
    {
        var ids = new List<string>();
        foreach (var (inF, outF, bias, activation, tensors) in adapter.DenseModules())
        {
            string id = $"{route}_{first + ids.Count}_Dense";
            string target = Path.Combine(dir, id);
            Directory.CreateDirectory(target);
            WriteJson(Path.Combine(target, "config.json"), new JsonObject
            {
                ["in_features"] = inF, ["out_features"] = outF, ["bias"] = bias, ["activation_function"] = activation,
            });
            SafeTensorsWriter.Write(Path.Combine(target, "model.safetensors"), tensors);
            ids.Add(id);
        }
        return ids;
    }

    /// <summary>Fills a staging folder beside <paramref name="output"/>, then moves it into place (output must not exist or be empty).</summary>
    private static void Stage(string output, Action<string> fill)
    {
        string full = Path.GetFullPath(output);
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any())
            throw new IOException($"{output}: the output folder exists and is not empty");
        string staging = $"{Path.TrimEndingDirectorySeparator(full)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        Directory.CreateDirectory(staging);
        try
        {
            fill(staging);
            if (Directory.Exists(full)) Directory.Delete(full);
            Directory.Move(staging, full);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    private static void WriteJson(string path, JsonNode node) => File.WriteAllText(path, node.ToJsonString(Indented), new UTF8Encoding(false));
}
