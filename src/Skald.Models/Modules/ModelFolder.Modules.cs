using System.Text.Json;
using Skald.Models.Checkpoints;
using Skald.Tokenizers;

namespace Skald.Models.Modules;

// ModelFolder, continued: reading a folder's sentence-transformers module chain (modules.json and the module folders it names).
public sealed partial record ModelFolder
{
    private static ModelFolder ReadModules(ModelFolder folder, string modulesPath)
    {
        using var doc = JsonFiles.Read(modulesPath);
        if (doc.RootElement.ValueKind != JsonValueKind.Array)
            throw new ModelFormatException($"{modulesPath}: expected a JSON array of modules");
        var entries = new List<(string Type, string Path)>();
        int index = 0;
        foreach (var m in doc.RootElement.EnumerateArray())
        {
            string type = JsonFiles.Str(m, "type", modulesPath) ?? throw new ModelFormatException($"{modulesPath}: module {index} has no \"type\"");
            string rel = JsonFiles.Str(m, "path", modulesPath) ?? "";
            entries.Add((type, FolderPaths.Inside(folder.Path, rel, $"{modulesPath}: module {index} path")));
            index++;
        }
        if (entries.Count > 0 && entries[0].Type.EndsWith("Router", StringComparison.Ordinal))
        {
            if (entries.Count > 1)
                throw new ModelFormatException($"{modulesPath}: modules after a Router are not supported yet (put them inside its routes)");
            var router = RouterConfig.Read(entries[0].Path);
            return Chain(folder, router.DocumentModules, router.File) with
            {
                QueryDensePaths = router.QueryDensePaths, DefaultRoute = router.DefaultRoute, QueryStaticPath = router.QueryStaticPath,
                ModuleFolders = [entries[0].Path, .. router.DocumentModules.Select(m => m.Path)],
            };
        }
        return Chain(folder, entries, modulesPath) with { ModuleFolders = [.. entries.Select(m => m.Path)] };
    }

    /// <summary>The module chain Transformer|StaticEmbedding → Pooling → Dense* → Normalize? read from (type, folder) entries.</summary>
    private static ModelFolder Chain(ModelFolder folder, IReadOnlyList<(string Type, string Path)> entries, string modulesPath)
    {
        string? transformer = null;
        PoolingConfig? pooling = null;
        SpladeConfig? splade = null;
        string? autoEncoder = null;
        var dense = new List<string>();
        bool normalize = false, isStatic = false, maskedLm = false, lateInteraction = false;
        int index = 0;
        foreach (var (type, modPath) in entries)
        {
            string shortType = type[(type.LastIndexOf('.') + 1)..];
            if (autoEncoder is not null)
                throw new ModelFormatException($"{modulesPath}: module {index} ({shortType}) comes after the SparseAutoEncoder, which Skald runs last");
            switch (shortType)
            {
                case "Transformer" when index == 0:
                    transformer = modPath;
                    break;
                case "MLMTransformer" when index == 0:
                    transformer = modPath;
                    maskedLm = true;
                    break;
                case "SpladePooling" when maskedLm && splade is null:
                    splade = SpladeConfig.Load(System.IO.Path.Combine(modPath, "config.json"));
                    break;
                case "Normalize" when splade is not null:
                    normalize = true;
                    break;
                case "MLMTransformer" or "SpladePooling":
                    throw new ModelFormatException(
                        $"{modulesPath}: module {index} ({shortType}) is out of order; Skald runs a sparse encoder as MLMTransformer → SpladePooling");
                case "StaticEmbedding" when index == 0:
                    transformer = modPath;
                    isStatic = true;
                    break;
                case "Pooling" when transformer is not null && !isStatic && !maskedLm && pooling is null:
                    pooling = PoolingConfig.Load(System.IO.Path.Combine(modPath, "config.json"));
                    break;
                case "Dense" when (pooling is not null || isStatic) && !normalize:
                    dense.Add(modPath);
                    break;
                case "Dense" when transformer is not null && !isStatic && !maskedLm && pooling is null && !normalize:
                    dense.Add(modPath); // PyLate's ColBERT: Transformer → Dense over every token, no Pooling
                    lateInteraction = true;
                    break;
                case "Normalize" when pooling is not null || isStatic:
                    normalize = true;
                    break;
                case "SparseAutoEncoder" when pooling is not null:
                    autoEncoder = modPath;
                    break;
                case "Transformer" or "StaticEmbedding" or "Pooling" or "Dense" or "Normalize" or "SparseAutoEncoder":
                    throw new ModelFormatException(
                        $"{modulesPath}: module {index} ({shortType}) is out of order; Skald runs Transformer → Pooling → Dense* → Normalize");
                default:
                    throw new ModelFormatException($"{modulesPath}: module type \"{type}\" is not supported yet");
            }
            index++;
        }
        if (transformer is null) throw new ModelFormatException($"{modulesPath}: no Transformer or StaticEmbedding module first");
        if (maskedLm && splade is null) throw new ModelFormatException($"{modulesPath}: an MLMTransformer needs a SpladePooling module after it");
        if (pooling is null && !isStatic && !maskedLm && !lateInteraction) throw new ModelFormatException($"{modulesPath}: no Pooling module");
        return folder with
        {
            TransformerPath = transformer, Pooling = pooling, DensePaths = dense, Normalize = normalize,
            IsSentenceTransformers = true, IsStatic = isStatic, Splade = splade, AutoEncoderPath = autoEncoder, IsLateInteraction = lateInteraction,
            Similarity = splade is not null || autoEncoder is not null ? SimilarityFunction.Dot : folder.Similarity,
        };
    }

    private static ModelFolder ReadSentenceTransformersConfig(ModelFolder folder, string cfgPath)
    {
        using var doc = JsonFiles.Read(cfgPath);
        var r = doc.RootElement;
        var prompts = new Dictionary<string, string>(StringComparer.Ordinal);
        if (r.TryGetProperty("prompts", out var p) && p.ValueKind == JsonValueKind.Object)
        {
            foreach (var kv in p.EnumerateObject())
            {
                prompts[kv.Name] = kv.Value.ValueKind == JsonValueKind.String ? kv.Value.GetString()!
                    : throw new ModelFormatException($"{cfgPath}: prompts[\"{kv.Name}\"] must be a string");
            }
        }
        string? def = JsonFiles.Str(r, "default_prompt_name", cfgPath);
        if (def is not null && !prompts.ContainsKey(def))
            throw new ModelFormatException($"{cfgPath}: default_prompt_name \"{def}\" is not among the prompts");
        string? sim = JsonFiles.Str(r, "similarity_fn_name", cfgPath);
        if (folder.IsLateInteraction && sim == "MaxSim") sim = null; // PyLate's ColBERT scores token vectors (LateInteraction.ColbertEncoder)
        return folder with
        {
            Prompts = prompts,
            DefaultPromptName = def,
            // A SparseEncoder's default is the dot product (SparseEncoder.similarity_fn_name), others' cosine.
            Similarity = sim is not null ? Similarities.Parse(sim, cfgPath)
                : folder.Splade is not null || folder.AutoEncoderPath is not null ? SimilarityFunction.Dot : SimilarityFunction.Cosine,
        };
    }
}
