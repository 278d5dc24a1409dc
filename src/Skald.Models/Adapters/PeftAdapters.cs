using System.Text.Json;
using Skald.Models.Checkpoints;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tokenizers.Serialization;

namespace Skald.Models.Adapters;

/// <summary>
/// LoRA adapters on a model's linear weights, in peft's layout: new adapters (A kaiming-uniform, B zero, as peft's
/// default init, so the model starts unchanged), adapters read from a folder and merged into the weights
/// (W' = W + scale·B·A), and adapters written as a folder peft loads (<c>adapter_config.json</c> +
/// <c>adapter_model.safetensors</c> with keys <c>base_model.model.{module}.lora_A.weight</c> / <c>lora_B.weight</c>
/// (and <c>lora_magnitude_vector</c> with DoRA), module names as in the base model, e.g. LLM2Vec's
/// <c>layers.0.self_attn.q_proj</c>).
/// </summary>
/// <remarks>Upstream: https://github.com/huggingface/peft/blob/v0.17.1/src/peft/tuners/lora/layer.py (update_layer,
/// reset_lora_parameters, merge) and https://github.com/huggingface/peft/blob/v0.17.1/src/peft/utils/save_and_load.py</remarks>
public static partial class PeftAdapters
{
    /// <summary>The adapter config file.</summary>
    public const string ConfigFile = "adapter_config.json";

    /// <summary>The adapter weights file.</summary>
    public const string WeightsFile = "adapter_model.safetensors";

    /// <summary>The adapter weights as older peft saves them (torch.save), read when <see cref="WeightsFile"/> is absent.</summary>
    public const string PickleWeightsFile = "adapter_model.bin";

    /// <summary>
    /// The adapter weights file of <paramref name="folder"/>: <see cref="WeightsFile"/>, else <see cref="PickleWeightsFile"/>
    /// (read without running anything, <see cref="TorchStateDict"/>); null when it has neither.
    /// </summary>
    public static string? WeightsPath(string folder) =>
        new[] { WeightsFile, PickleWeightsFile }.Select(f => Path.Combine(folder, f)).FirstOrDefault(File.Exists);

    /// <summary>Key prefix peft gives adapter tensors.</summary>
    public const string KeyPrefix = "base_model.model.";

    /// <summary>
    /// Attaches new adapters to every 2-D <c>*.weight</c> whose module <paramref name="config"/> targets and freezes
    /// all of <paramref name="parameters"/> (only adapters train). A ~ U(−1/√in, 1/√in) (kaiming_uniform with a = √5),
    /// B = 0; with DoRA the magnitude starts at the weight's row norms ‖W[j]‖ (peft's init), so the model starts
    /// unchanged either way. A targeted vocabulary table (<see cref="Parameter.IsTable"/>, e.g. <c>embed_tokens</c>)
    /// gets peft's Embedding LoRA instead: <c>lora_embedding_A</c> [r, V] = 0, <c>lora_embedding_B</c> [C, r] ~ N(0, 1).
    /// Returns the adapters in parameter order.
    /// </summary>
    public static IReadOnlyList<LoraAdapter> Attach(IReadOnlyList<Parameter> parameters, LoraConfig config, SkaldRandom random)
    {
        config = ResolveTargets(config, parameters);
        var adapters = new List<LoraAdapter>();
        foreach (var p in parameters)
        {
            p.RequiresGrad = false;
            // peft matches the module's name under base_model.model (a ForCausalLM's "model." in front, ModulePrefix)
            if (Module(p) is not { } module || !config.Targets(module) && !(config.ModulePrefix.Length > 0 && config.Targets(config.ModulePrefix + module))) continue;
            int outF = p.Shape[0], inF = p.Shape[1];
            if (p.IsTable)
            {
                adapters.Add(AttachToTable(p, module, config, random));
                continue;
            }
            var a = new Parameter(module + ".lora_A.weight", new float[config.R * inF], [config.R, inF], weightDecay: true);
            var b = new Parameter(module + ".lora_B.weight", new float[outF * config.R], [outF, config.R], weightDecay: true);
            float bound = 1f / MathF.Sqrt(inF);
            var av = a.Data.Span;
            for (int i = 0; i < av.Length; i++) av[i] = (2 * random.NextFloat() - 1) * bound;
            var adapter = new LoraAdapter(a, b, config.Scale, config.Dropout);
            if (config.UseDora)
            {
                var norms = new float[outF];
                adapter.WeightNorms(p, norms); // B = 0: ‖W[j]‖
                adapter = new LoraAdapter(a, b, config.Scale, config.Dropout,
                    new Parameter(module + ".lora_magnitude_vector", norms, [outF], weightDecay: true));
            }
            try
            {
                p.Lora = adapter;
            }
            catch (ArgumentException e)
            {
                throw new ModelFormatException($"lora.target_modules: {e.Message}");
            }
            adapters.Add(adapter);
        }
        if (adapters.Count == 0)
        {
            var linears = parameters.Select(Module).OfType<string>().Select(m => m[(m.LastIndexOf('.') + 1)..]).Distinct().Take(12);
            throw new ModelFormatException(
                $"lora.target_modules ({config.TargetPattern ?? string.Join(", ", config.TargetModules)}) match no linear layer of this model " +
                $"(its layers end in: {string.Join(", ", linears)})");
        }
        return adapters;
    }

    /// <summary>
    /// Reads the adapter in <paramref name="folder"/> and merges it into <paramref name="parameters"/>' weights
    /// (W += scale·B·A; with DoRA, W' = (m/‖W + scale·B·A‖)⊙(W + scale·B·A) row by row). Keys are matched after dropping <c>base_model.model.</c> and, when needed, one leading module
    /// (<c>model.</c> of a ForCausalLM checkpoint). Returns the number of weights changed.
    /// </summary>
    public static int Merge(string folder, IReadOnlyList<Parameter> parameters) => Merge(folder, parameters, null);

    /// <summary>
    /// As <see cref="Merge(string, IReadOnlyList{Parameter})"/>; the parameters the adapter's modules_to_save tensors
    /// replaced are added to <paramref name="replaced"/>. Adapter tensors of modules outside target_modules, which are
    /// not merged, are one line to <paramref name="notice"/>, or when it is null to <see cref="ModelNotices.Report"/>
    /// (nowhere unless a caller routed it); nothing is written to the console. Parameters named with
    /// <paramref name="namePrefix"/> in front (a second copy of a model, <see cref="SentenceEncoder.Load(string, IReadOnlyList{string}?, WeightPrecision, string)"/>)
    /// are matched by their names without it.
    /// </summary>
    public static int Merge(string folder, IReadOnlyList<Parameter> parameters, ICollection<Parameter>? replaced, Action<string>? notice = null,
        string namePrefix = "")
    {
        ArgumentNullException.ThrowIfNull(namePrefix);
        var config = LoraConfig.Read(Path.Combine(folder, ConfigFile));
        string file = WeightsPath(folder) ?? throw new ModelFormatException($"{folder}: neither {WeightsFile} nor {PickleWeightsFile} found");
        var byName = parameters.ToDictionary(p => namePrefix.Length > 0 && p.Name.StartsWith(namePrefix, StringComparison.Ordinal) ? p.Name[namePrefix.Length..] : p.Name,
            StringComparer.Ordinal);
        using var st = SafeTensorsFile.Open(file);
        // Every tensor that is not a LoRA one must belong to a module_to_save, checked before any weight changes: one left
        // unread (lora_B.bias of lora_bias, a trainable-tokens delta, a key with the adapter name still in it) would
        // change what peft computes, so it is refused by name.
        var saved = SavedModuleTensors(file, st, config);
        var targets = ResolveTargets(config, parameters);
        var untargeted = new List<string>();
        int merged = MergePairs(file, st, config, targets, byName, untargeted, table: false)
            + MergePairs(file, st, config, targets, byName, untargeted, table: true);
        merged += ReplaceSavedModules(file, st, saved, byName, replaced);
        if (untargeted.Count > 0) (notice ?? ModelNotices.Report)(UntargetedNotice(file, config, untargeted, merged));
        else if (merged == 0) throw new ModelFormatException($"{file}: no lora_A / lora_B (or lora_embedding_A / _B) tensors");
        return merged;
    }

    /// <summary>
    /// Merges every targeted LoRA pair of <paramref name="st"/> into the weight it names, in key order: a linear layer's
    /// <c>lora_A.weight</c> [r, in] / <c>lora_B.weight</c> [out, r] into its weight [out, in], or, with
    /// <paramref name="table"/>, an embedding's <c>lora_embedding_A</c> [r, rows] / <c>lora_embedding_B</c> [dim, r] into
    /// its table [rows, dim]; the keys of untargeted modules go to <paramref name="untargeted"/>. Returns how many merged.
    /// </summary>
    private static int MergePairs(string file, SafeTensorsFile st, LoraConfig config, LoraConfig targets, Dictionary<string, Parameter> byName,
        List<string> untargeted, bool table)
    {
        string suffixA = table ? ".lora_embedding_A" : ".lora_A.weight", suffixB = table ? ".lora_embedding_B" : ".lora_B.weight";
        string nameB = table ? "lora_embedding_B" : "lora_B", what = table ? "table" : "weight";
        int merged = 0;
        foreach (var (key, infoA) in st.Tensors.Where(t => t.Key.EndsWith(suffixA, StringComparison.Ordinal)).OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            string module = key[..^suffixA.Length];
            if (!Targeted(targets, module))
            {
                untargeted.Add(key);
                continue;
            }
            string keyB = module + suffixB;
            if (!st.Tensors.TryGetValue(keyB, out var infoB)) throw new ModelFormatException($"{file}: {key} has no {keyB}");
            var weight = Find(file, module, byName) ?? throw new ModelFormatException(
                $"{file}: {key} names no {what} of this model (is the adapter for another base model?)");
            int inputs = weight.Shape[table ? 0 : 1], outputs = weight.Shape[table ? 1 : 0];
            if (infoA.Shape.Length != 2 || infoB.Shape.Length != 2 || infoA.Shape[1] != inputs || infoB.Shape[0] != outputs
                || infoB.Shape[1] != infoA.Shape[0])
                throw new ModelFormatException(
                    $"{file}: {key} [{string.Join(", ", infoA.Shape)}] / {nameB} [{string.Join(", ", infoB.Shape)}] do not fit {weight.Name} " +
                    $"[{string.Join(", ", weight.Shape)}] (an adapter for a different base model?)");
            CheckRank(file, config, module, infoA.Shape[0]);
            var a = new Parameter(key, st.ReadFloat32(key), infoA.Shape, weightDecay: false);
            var b = new Parameter(keyB, st.ReadFloat32(keyB), infoB.Shape, weightDecay: false);
            float scale = config.ScaleFor(Unprefixed(module));
            var magnitude = Magnitude(file, st, config, module, weight);
            var adapter = table ? LoraAdapter.ForTable(a, b, scale, magnitude) : new LoraAdapter(a, b, scale, 0f, magnitude);
            adapter.MergeInto(weight); // bfloat16 weights: merged in float32, then rounded
            merged++;
        }
        return merged;
    }

    /// <summary>
    /// Whether peft makes a LoRA layer for <paramref name="module"/> (a tensor key without its lora suffix), as
    /// check_target_module_exists decides (<see cref="LoraConfig.Targets"/>: target_modules, layers_to_transform /
    /// layers_pattern, exclude_modules) for its name under <c>base_model.model.</c> (or, for Skald's own adapters on a
    /// ForCausalLM or classifier, that name without its first part). Tensors of other modules peft leaves unloaded (it
    /// warns of unexpected keys), so they are not merged either.
    /// </summary>
    private static bool Targeted(LoraConfig targets, string module)
    {
        string name = Unprefixed(module);
        int dot = name.IndexOf('.');
        return targets.Targets(name) || dot > 0 && !targets.Excludes(name) && targets.Targets(name[(dot + 1)..]);
    }

    /// <summary>The one line saying which adapter tensors were left out: how many, one key, and the targets.</summary>
    private static string UntargetedNotice(string file, LoraConfig config, IReadOnlyList<string> keys, int merged)
    {
        bool one = keys.Count == 1;
        return $"warning: {file}: {Counted.Of(keys.Count, "adapter tensor")} {(one ? "belongs to a module" : "belong to modules")} " +
            $"outside {ConfigFile}'s target_modules ({config.DescribeTargets()}), {(one ? "" : "e.g. ")}{keys[0]}; " +
            $"peft does not load {(one ? "it, and it is" : "them, and they are")} not merged" +
            (merged == 0 ? " (nothing of this adapter is merged)" : "");
    }

    /// <summary>
    /// Refuses an adapter whose tensors' rank is not the rank <c>adapter_config.json</c> gives its module (<c>r</c>, or
    /// its <c>rank_pattern</c> entry): peft would not load it, and its scale alpha / r would be a guess.
    /// </summary>
    private static void CheckRank(string file, LoraConfig config, string module, int tensorRank)
    {
        string name = Unprefixed(module);
        int rank = config.RankFor(name);
        if (tensorRank == rank) return;
        string source = LoraConfig.PatternKey(config.RankPattern.Keys, name) is { } key ? $"rank_pattern[\"{key}\"] = {rank}" : $"r = {rank}";
        throw new ModelFormatException(
            $"{file}: {name} has rank {tensorRank} in its tensors but {ConfigFile} gives it rank {rank} ({source})");
    }

    /// <summary>
    /// The DoRA magnitude of <paramref name="module"/> in the adapter file (use_dora: required, one value per output of
    /// a linear weight or per column of a table; without use_dora: refused if present), or null.
    /// </summary>
    private static Parameter? Magnitude(string file, SafeTensorsFile st, LoraConfig config, string module, Parameter weight)
    {
        string keyM = module + ".lora_magnitude_vector";
        if (!config.UseDora)
        {
            if (st.Tensors.ContainsKey(keyM)) throw new ModelFormatException($"{file}: {keyM} is a DoRA magnitude but {ConfigFile} does not set use_dora");
            return null;
        }
        if (!st.Tensors.TryGetValue(keyM, out var infoM))
            throw new ModelFormatException($"{file}: {module} has no {keyM} (use_dora is true in {ConfigFile})");
        int outputs = weight.IsTable ? weight.Shape[1] : weight.Shape[0];
        if (infoM.Shape.Length != 1 || infoM.Shape[0] != outputs)
            throw new ModelFormatException($"{file}: {keyM} [{string.Join(", ", infoM.Shape)}] does not fit {weight.Name}'s {outputs} {(weight.IsTable ? "columns" : "outputs")}");
        return new Parameter(keyM, st.ReadFloat32(keyM), infoM.Shape, weightDecay: false);
    }

    /// <summary>peft's special target <c>all-linear</c>.</summary>
    public const string AllLinear = "all-linear";

    /// <summary>
    /// <paramref name="config"/> with peft's <c>target_modules: all-linear</c> spelt out as the names (last key part) of
    /// every linear layer of <paramref name="parameters"/> — each 2-D <c>*.weight</c> that is not a lookup table
    /// (<see cref="Parameter.IsTable"/>) or the output layer <c>lm_head</c> — as peft writes them to adapter_config.json;
    /// any other config unchanged.
    /// </summary>
    public static LoraConfig ResolveTargets(LoraConfig config, IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(parameters);
        bool all = string.Equals(config.TargetPattern, AllLinear, StringComparison.OrdinalIgnoreCase)
            || config.TargetPattern is null && config.TargetModules is [var only] && string.Equals(only, AllLinear, StringComparison.OrdinalIgnoreCase);
        if (!all) return config;
        var names = parameters.Where(p => !p.IsTable).Select(Module).OfType<string>()
            .Select(m => m[(m.LastIndexOf('.') + 1)..]).Where(n => n != "lm_head").Distinct(StringComparer.Ordinal).ToList();
        // peft spells all-linear out as whole module names, which check_target_module_exists takes without consulting
        // layers_to_transform: every linear layer is targeted
        return config with { TargetPattern = null, TargetModules = names, LayersToTransform = null };
    }

    // peft's Embedding LoRA on a [V, C] table: A [r, V] zeros, B [C, r] ~ N(0, 1) (update_layer_embedding, reset_lora_parameters);
    // with DoRA the magnitude [C] starts at the table's column norms ‖W[:, c]‖ (A = 0; DoraEmbeddingVariant.init).
    private static LoraAdapter AttachToTable(Parameter table, string module, LoraConfig config, SkaldRandom random)
    {
        int vocab = table.Shape[0], dim = table.Shape[1];
        var a = new Parameter(module + ".lora_embedding_A", new float[config.R * vocab], [config.R, vocab], weightDecay: true);
        var b = new Parameter(module + ".lora_embedding_B", new float[dim * config.R], [dim, config.R], weightDecay: true);
        var bv = b.Data.Span;
        for (int i = 0; i < bv.Length; i++) bv[i] = (float)random.NextGaussian();
        var adapter = LoraAdapter.ForTable(a, b, config.Scale);
        if (config.UseDora)
        {
            var norms = new float[dim];
            adapter.WeightNorms(table, norms);
            adapter = LoraAdapter.ForTable(a, b, config.Scale, new Parameter(module + ".lora_magnitude_vector", norms, [dim], weightDecay: true));
        }
        table.Lora = adapter;
        return adapter;
    }

    /// <summary>Merges every attached adapter into its weight and detaches it (peft's merge_and_unload).</summary>
    public static void MergeAttached(IReadOnlyList<Parameter> parameters)
    {
        foreach (var p in parameters)
        {
            if (p.Lora is not { } lora) continue;
            lora.MergeInto(p);
            p.Lora = null;
        }
    }

    /// <summary>The module of a 2-D <c>*.weight</c> parameter (its key without <c>.weight</c>), else null.</summary>
    private static string? Module(Parameter p) =>
        p.Shape.Length == 2 && p.Name.EndsWith(".weight", StringComparison.Ordinal) ? p.Name[..^".weight".Length] : null;

    private static readonly string[] AdapterSuffixes = [".lora_A.weight", ".lora_B.weight", ".lora_magnitude_vector", ".lora_embedding_A", ".lora_embedding_B"];

    // The file's tensors that are no adapter tensors, each in a module of modules_to_save (else refused), by key.
    private static List<(string Key, SafeTensorInfo Info)> SavedModuleTensors(string file, SafeTensorsFile st, LoraConfig config)
    {
        var saved = new List<(string, SafeTensorInfo)>();
        foreach (var (key, info) in st.Tensors.Where(t => !AdapterSuffixes.Any(s => t.Key.EndsWith(s, StringComparison.Ordinal))).OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            // The tensor belongs to a saved module when its path, or a part of it (bert.pooler of bert.pooler.dense.weight), is one.
            var parts = Unprefixed(key).Split('.');
            bool inSaved = Enumerable.Range(1, parts.Length - 1).Select(n => string.Join('.', parts, 0, n))
                .Any(module => config.ModulesToSave.Any(m => module == m || module.EndsWith("." + m, StringComparison.Ordinal)));
            if (!inSaved)
                throw new ModelFormatException(config.ModulesToSave.Count == 0
                    ? $"{file}: {key} is not an adapter tensor (lora_A / lora_B, lora_embedding_A / _B, lora_magnitude_vector) and {ConfigFile} has no modules_to_save"
                    : $"{file}: {key} is neither an adapter tensor nor in modules_to_save ({string.Join(", ", config.ModulesToSave)})");
            saved.Add((key, info));
        }
        return saved;
    }

    // modules_to_save: the file's other tensors (base_model.model.{module}.{leaf}) replace the model's, whole.
    private static int ReplaceSavedModules(string file, SafeTensorsFile st, List<(string Key, SafeTensorInfo Info)> saved,
        Dictionary<string, Parameter> byName, ICollection<Parameter>? replacedParameters)
    {
        foreach (var (key, info) in saved)
        {
            string name = Unprefixed(key);
            int first = name.IndexOf('.');
            var p = byName.GetValueOrDefault(name) ?? (first > 0 ? byName.GetValueOrDefault(name[(first + 1)..]) : null)
                ?? throw new ModelFormatException($"{file}: {key} (modules_to_save) names no tensor of this model (a task head is not part of the encoder)");
            if (!info.Shape.SequenceEqual(p.Shape))
                throw new ModelFormatException($"{file}: {key} [{string.Join(", ", info.Shape)}] does not fit {p.Name} [{string.Join(", ", p.Shape)}]");
            p.Update(st.ReadFloat32(key), static (w, values) => values.AsSpan().CopyTo(w));
            replacedParameters?.Add(p);
        }
        return saved.Count;
    }

    /// <summary>An adapter key's module name in the model: without <c>base_model.model.</c>.</summary>
    private static string Unprefixed(string key) => key.StartsWith(KeyPrefix, StringComparison.Ordinal) ? key[KeyPrefix.Length..] : key;

    private static Parameter? Find(string file, string module, Dictionary<string, Parameter> byName)
    {
        string name = Unprefixed(module);
        // peft's get_peft_model over a whole SentenceTransformer (an nn.Sequential): modules are named
        // "{index}.auto_model.{module}" for the Transformer's Hugging Face model, "{index}.linear" for a Dense module.
        if (SentenceTransformersModule().Match(name) is { Success: true } st)
        {
            if (st.Groups[2].Success) name = name[st.Length..];
            else throw new ModelFormatException(
                $"{file}: {module} is an adapter on sentence-transformers module {st.Groups[1].Value} ({name}), not on its Transformer's model " +
                "(peft's get_peft_model over the whole SentenceTransformer); Skald merges adapters into the transformer only: " +
                "train the adapter with target_modules naming transformer layers, or merge it in Python and save the model");
        }
        if (byName.TryGetValue(name + ".weight", out var p)) return p;
        int dot = name.IndexOf('.');
        return dot > 0 && byName.TryGetValue(name[(dot + 1)..] + ".weight", out p) ? p : null;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^(\d+)\.(auto_model\.)?")]
    private static partial System.Text.RegularExpressions.Regex SentenceTransformersModule();
}
