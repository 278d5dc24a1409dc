using System.Text.Json;
using Skald.Models.Checkpoints;

namespace Skald.Models.Modules;

/// <summary>
/// The part of a sentence-transformers 5 <c>Router</c> module (<c>router_config.json</c>: <c>types</c> module id →
/// class, <c>structure</c> route → module ids in order, <c>parameters</c> with <c>default_route</c>; each module in the
/// folder named by its id) that Skald runs: a "document" route that is a plain chain (Transformer|StaticEmbedding →
/// Pooling → Dense* → Normalize?) and a "query" route that runs the same module ids and then only Dense modules — the
/// shape of a query adapter over a frozen model (<c>skald adapter train</c>). Routes built otherwise (different
/// transformers per route, other route names) are refused with one line. An inference-free sparse encoder's Router
/// (the "query" route one SparseStaticEmbedding, the "document" route MLMTransformer → SpladePooling) is read too:
/// its query module's folder is <see cref="QueryStaticPath"/>.
/// </summary>
/// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/v5.1.0/sentence_transformers/models/Router.py (save, load).</remarks>
/// <param name="File">The router_config.json path (for messages).</param>
/// <param name="DocumentModules">The document route's (type, folder) entries.</param>
/// <param name="QueryDensePaths">Dense module folders the query route adds after the document route's chain.</param>
/// <param name="DefaultRoute">The route of texts without a task.</param>
/// <param name="QueryStaticPath">An inference-free sparse encoder's query module (SparseStaticEmbedding) folder, else null.</param>
public sealed record RouterConfig(string File, IReadOnlyList<(string Type, string Path)> DocumentModules,
    IReadOnlyList<string> QueryDensePaths, string DefaultRoute, string? QueryStaticPath = null)
{
    /// <summary>The file name sentence-transformers gives the Router's configuration.</summary>
    public const string FileName = "router_config.json";

    /// <summary>Reads <c>router_config.json</c> in <paramref name="routerPath"/>.</summary>
    public static RouterConfig Read(string routerPath)
    {
        string file = Path.Combine(routerPath, FileName);
        if (!System.IO.File.Exists(file)) throw new ModelFormatException($"{file}: not found (a Router module needs it)");
        using var doc = JsonFiles.Read(file);
        var root = doc.RootElement;
        if (!root.TryGetProperty("types", out var types) || types.ValueKind != JsonValueKind.Object)
            throw new ModelFormatException($"{file}: missing object \"types\"");
        if (!root.TryGetProperty("structure", out var structure) || structure.ValueKind != JsonValueKind.Object)
            throw new ModelFormatException($"{file}: missing object \"structure\"");
        var typeOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var t in types.EnumerateObject())
            typeOf[t.Name] = t.Value.ValueKind == JsonValueKind.String ? t.Value.GetString()! : throw new ModelFormatException($"{file}: types[\"{t.Name}\"] must be a string");
        var routes = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var r in structure.EnumerateObject())
        {
            if (r.Value.ValueKind != JsonValueKind.Array) throw new ModelFormatException($"{file}: structure[\"{r.Name}\"] must be an array of module ids");
            routes[r.Name] = [.. r.Value.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()!
                : throw new ModelFormatException($"{file}: structure[\"{r.Name}\"] must hold module id strings"))];
            foreach (var id in routes[r.Name])
            {
                if (!typeOf.ContainsKey(id)) throw new ModelFormatException($"{file}: module \"{id}\" of route \"{r.Name}\" has no entry in \"types\"");
            }
        }
        string? defaultRoute = null;
        if (root.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object)
            defaultRoute = JsonFiles.Str(parameters, "default_route", file);
        defaultRoute ??= routes.Keys.FirstOrDefault(); // allow_empty_key: the first route
        if (!routes.TryGetValue("document", out var document) || !routes.TryGetValue("query", out var query) || routes.Count != 2)
            throw new ModelFormatException(
                $"{file}: Skald runs Routers with exactly the routes \"query\" and \"document\" (found {string.Join(", ", routes.Keys.Select(k => $"\"{k}\""))})");
        if (defaultRoute is not ("query" or "document")) throw new ModelFormatException($"{file}: default_route \"{defaultRoute}\" is not a route");
        string Folder(string id) => FolderPaths.Inside(routerPath, id, $"{file}: module \"{id}\"");
        if (query.Count == 1 && ShortType(typeOf[query[0]]) == "SparseStaticEmbedding")
        {
            if (document.Count != 2 || ShortType(typeOf[document[0]]) != "MLMTransformer" || ShortType(typeOf[document[1]]) != "SpladePooling")
                throw new ModelFormatException($"{file}: a SparseStaticEmbedding query route needs a \"document\" route of MLMTransformer → SpladePooling");
            return new RouterConfig(file, [.. document.Select(id => (typeOf[id], Folder(id)))], [], defaultRoute, Folder(query[0]));
        }
        if (query.Count < document.Count || !query.Take(document.Count).SequenceEqual(document, StringComparer.Ordinal)
            || query.Skip(document.Count).Any(id => !IsDense(typeOf[id])))
            throw new ModelFormatException(
                $"{file}: Skald runs Routers whose \"query\" route is the \"document\" route's modules followed by Dense modules (a query adapter); this one differs");
        return new RouterConfig(file, [.. document.Select(id => (typeOf[id], Folder(id)))], [.. query.Skip(document.Count).Select(Folder)], defaultRoute);
    }

    private static string ShortType(string type) => type[(type.LastIndexOf('.') + 1)..];

    private static bool IsDense(string type) => ShortType(type) == "Dense";
}
