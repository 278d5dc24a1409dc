using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Skald.Models.Adapters;

/// <summary>
/// The LoRA settings of peft's <c>LoraConfig</c> that Skald supports, as read from and written to
/// <c>adapter_config.json</c>: rank <see cref="R"/>, <see cref="Alpha"/> (scale = alpha / r, or alpha / √r with
/// rsLoRA), <see cref="Dropout"/> and the target modules — a list (a module matches when its name equals an entry or
/// ends with "." + entry) or a regular expression (matching the whole module name). DoRA (<see cref="UseDora"/>) is read
/// and written; of a saved adapter, <c>rank_pattern</c> and <c>alpha_pattern</c> give a module its own rank and alpha
/// (<see cref="RankFor"/>, <see cref="AlphaFor"/>: peft's get_pattern_key), and <c>layers_to_transform</c>,
/// <c>layers_pattern</c> and <c>exclude_modules</c> narrow which modules are targeted as peft's
/// check_target_module_exists narrows them (<see cref="Targets"/>); <c>modules_to_save</c> names modules whose whole tensors the adapter file
/// holds (<see cref="ModulesToSave"/>). Options Skald does not implement (fan_in_fan_out, bias other than "none",
/// lora_bias, layer_replication, trainable_token_indices, alora_invocation_tokens) are refused by name.
/// The defaults are LLM2Vec's.
/// </summary>
/// <remarks>Upstream: https://github.com/huggingface/peft/blob/v0.17.1/src/peft/tuners/lora/config.py and
/// https://github.com/huggingface/peft/blob/v0.17.1/src/peft/tuners/tuners_utils.py (check_target_module_exists)</remarks>
public sealed record LoraConfig
{
    /// <summary>LLM2Vec's target modules: every projection of a Llama-style decoder layer.</summary>
    public static readonly IReadOnlyList<string> DecoderProjections = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>Rank r.</summary>
    public int R { get; init; } = 16;

    /// <summary>lora_alpha.</summary>
    public float Alpha { get; init; } = 32;

    /// <summary>lora_dropout on the adapter input during training.</summary>
    public float Dropout { get; init; } = 0.05f;

    /// <summary>Module names (suffix match), unless <see cref="TargetPattern"/> is set.</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = DecoderProjections;

    /// <summary>A regular expression over whole module names (peft's string form of target_modules), or null.</summary>
    public string? TargetPattern { get; init; }

    /// <summary>rsLoRA: scale = alpha / √r.</summary>
    public bool UseRsLora { get; init; }

    /// <summary>
    /// DoRA (peft's <c>use_dora</c>): each adapter also has a magnitude vector m [out], and the layer outputs
    /// (m/‖W + scale·B·A‖)⊙ its adapted product (<see cref="Skald.Tensors.Autograd.LoraAdapter.Magnitude"/>).
    /// </summary>
    public bool UseDora { get; init; }

    /// <summary>peft's modules_to_save: modules trained whole, whose tensors the adapter file holds under their own keys.</summary>
    public IReadOnlyList<string> ModulesToSave { get; init; } = [];

    /// <summary>peft's alpha_pattern: a module name pattern (matching the end of a module's name) → its lora_alpha.</summary>
    public IReadOnlyDictionary<string, float> AlphaPattern { get; init; } = new Dictionary<string, float>();

    /// <summary>peft's rank_pattern: a module name pattern (matching the end of a module's name) → its rank r.</summary>
    public IReadOnlyDictionary<string, int> RankPattern { get; init; } = new Dictionary<string, int>();

    /// <summary>
    /// lora_alpha of <paramref name="module"/> (its name in the model, e.g. <c>model.layers.0.self_attn.q_proj</c>): the
    /// value of the first <see cref="AlphaPattern"/> key that <see cref="PatternKey"/> finds, else <see cref="Alpha"/>.
    /// </summary>
    public float AlphaFor(string module) => PatternKey(AlphaPattern.Keys, module) is { } key ? AlphaPattern[key] : Alpha;

    /// <summary>
    /// The rank r of <paramref name="module"/>'s adapter: the value of the first <see cref="RankPattern"/> key that
    /// <see cref="PatternKey"/> finds, else <see cref="R"/>.
    /// </summary>
    public int RankFor(string module) => PatternKey(RankPattern.Keys, module) is { } key ? RankPattern[key] : R;

    /// <summary>
    /// peft's get_pattern_key: the first of <paramref name="patterns"/> (in the file's order) that the whole of
    /// <paramref name="module"/> matches as <c>(.*\.)?(pattern)$</c> — the name itself or a dotted suffix of it, a
    /// pattern being a regular expression — else null.
    /// </summary>
    public static string? PatternKey(IEnumerable<string> patterns, string module)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        return patterns.FirstOrDefault(p => Regex.IsMatch(module, "^(.*\\.)?(" + p + ")$", RegexOptions.CultureInvariant));
    }

    /// <summary>The scale of <paramref name="module"/>'s adapter: its alpha / its rank (or / √rank with rsLoRA), as peft's update_layer.</summary>
    public float ScaleFor(string module) => UseRsLora ? AlphaFor(module) / MathF.Sqrt(RankFor(module)) : AlphaFor(module) / RankFor(module);

    /// <summary>The base model the adapter was trained on (informational).</summary>
    public string? BaseModel { get; init; }

    /// <summary>
    /// The adapter folders merged into the base model before these adapters were trained (<c>model.adapters</c>, or an
    /// adapter folder given as the model), in order. peft has no field for them (<see cref="BaseModel"/> names the
    /// original base, as peft and LLM2Vec record it), so <see cref="PeftAdapters.Save"/> writes them to
    /// <see cref="AdapterBase.ChainFile"/>, which <see cref="AdapterBase.Expand"/> merges before the adapter; not in
    /// adapter_config.json.
    /// </summary>
    public IReadOnlyList<string> BaseAdapters { get; init; } = [];

    /// <summary>
    /// peft's <c>task_type</c> written to adapter_config.json: null for an adapter on the bare model (LLM2Vec's
    /// LlamaModel), <c>CAUSAL_LM</c> for one on a <c>*ForCausalLM</c> (supervised fine-tuning), whose modules sit under
    /// <see cref="ModulePrefix"/>.
    /// </summary>
    public string? TaskType { get; init; }

    /// <summary>What peft's keys put between <c>base_model.model.</c> and a module's key (<c>model.</c> for a ForCausalLM).</summary>
    public string ModulePrefix { get; init; } = "";

    /// <summary>The factor B·A is multiplied by.</summary>
    public float Scale => UseRsLora ? Alpha / MathF.Sqrt(R) : Alpha / R;

    /// <summary>
    /// peft's layers_to_transform: the layer indices whose modules are targeted (a single index is a list of one); null
    /// (or absent, or an empty list) for every layer.
    /// </summary>
    public IReadOnlyList<int>? LayersToTransform { get; init; }

    /// <summary>peft's layers_pattern: the names of the module lists whose index <see cref="LayersToTransform"/> reads (empty: any).</summary>
    public IReadOnlyList<string> LayersPattern { get; init; } = [];

    /// <summary>peft's exclude_modules as a list: module names (or dotted suffixes) never targeted.</summary>
    public IReadOnlyList<string> ExcludeModules { get; init; } = [];

    /// <summary>peft's exclude_modules as a string: a regular expression over whole module names never targeted; or null.</summary>
    public string? ExcludePattern { get; init; }

    /// <summary>
    /// Whether the module <paramref name="module"/> (a weight key without <c>.weight</c>) takes an adapter, as peft's
    /// check_target_module_exists decides: not when <see cref="ExcludeModules"/> / <see cref="ExcludePattern"/> names it;
    /// else when <see cref="TargetPattern"/> matches the whole name, or the name is a <see cref="TargetModules"/> entry,
    /// or ends with "." + an entry and — with <see cref="LayersToTransform"/> — lies in one of those layers (the
    /// number after the last <c>.{layers_pattern}.</c> in the name, or with no pattern after any dotted part preceded
    /// by another; a name without one is not targeted). As in peft, the layers do not narrow a regular expression or an
    /// entry equal to the whole name.
    /// </summary>
    public bool Targets(string module)
    {
        if (Excludes(module)) return false;
        if (TargetPattern is { } p) return FullMatch(p, module);
        if (TargetModules.Contains(module)) return true;
        return TargetModules.Any(t => module.EndsWith("." + t, StringComparison.Ordinal)) && InLayers(module);
    }

    /// <summary>Whether exclude_modules names <paramref name="module"/> (a list entry equal to it or a dotted suffix of it, or a regular expression matching it whole).</summary>
    public bool Excludes(string module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return ExcludePattern is { } x ? FullMatch(x, module) : ExcludeModules.Any(e => module == e || module.EndsWith("." + e, StringComparison.Ordinal));
    }

    /// <summary>Whether <paramref name="module"/> lies in a layer of <see cref="LayersToTransform"/> (peft's re.match over the name).</summary>
    private bool InLayers(string module)
    {
        if (LayersToTransform is not { Count: > 0 } layers) return true;
        IReadOnlyList<string> patterns = LayersPattern.Count == 0 ? [@"[^.]*"] : LayersPattern;
        foreach (string pattern in patterns)
        {
            var m = Regex.Match(module, @"^.*\.(?:" + pattern + @")\.(?<layer>\d+)\.", RegexOptions.CultureInvariant);
            if (m.Success) return int.TryParse(m.Groups["layer"].ValueSpan, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index) && layers.Contains(index);
        }
        return false;
    }

    private static bool FullMatch(string pattern, string module) => Regex.IsMatch(module, "^(?:" + pattern + ")$", RegexOptions.CultureInvariant);

    /// <summary>What the config targets, for messages: target_modules, and the layers and exclusions that narrow it.</summary>
    public string DescribeTargets() => (TargetPattern ?? string.Join(", ", TargetModules))
        + (LayersToTransform is { Count: > 0 } l ? $"; layers_to_transform {string.Join(", ", l)}" + (LayersPattern.Count > 0 ? $" of {string.Join(", ", LayersPattern)}" : "") : "")
        + (ExcludePattern is { } x ? $"; exclude_modules {x}" : ExcludeModules.Count > 0 ? $"; exclude_modules {string.Join(", ", ExcludeModules)}" : "");

    /// <summary>Reads <c>adapter_config.json</c>; anything unsupported is a <see cref="ModelFormatException"/> naming the file and key.</summary>
    public static LoraConfig Read(string path)
    {
        if (Path.GetDirectoryName(path) is { Length: > 0 } folder && File.Exists(folder))
            throw new ModelFormatException($"{folder}: is a file, expected a PEFT adapter folder (adapter_config.json and adapter_model.safetensors)");
        if (Path.GetDirectoryName(path) is { Length: > 0 } missing && !Directory.Exists(missing))
            throw new ModelFormatException($"{missing}: adapter folder not found");
        if (!File.Exists(path)) throw new ModelFormatException($"{path}: adapter_config.json not found (a PEFT adapter folder has adapter_config.json and adapter_model.safetensors)");
        JsonElement root;
        using (var doc = Modules.JsonFiles.Read(path)) root = doc.RootElement.Clone();
        if (root.ValueKind != JsonValueKind.Object) throw new ModelFormatException($"{path}: expected a JSON object, found {root.ValueKind.ToString().ToLowerInvariant()}");
        string? type = Str(root, "peft_type", path) ?? throw new ModelFormatException($"{path}: peft_type is missing (\"LORA\" for a LoRA adapter)");
        if (type != "LORA") throw new ModelFormatException($"{path}: peft_type \"{type}\" is not supported (only LORA)");
        if (Bool(root, "fan_in_fan_out", path)) throw new ModelFormatException($"{path}: fan_in_fan_out: true is for GPT-2 Conv1D layers, not supported");
        if (Str(root, "bias", path) is { } bias && bias != "none") throw new ModelFormatException($"{path}: bias \"{bias}\" is not supported (only \"none\")");
        if (Bool(root, "lora_bias", path)) throw new ModelFormatException($"{path}: lora_bias: true (a bias on lora_B) is not supported");
        foreach (var key in new[] { "layer_replication", "trainable_token_indices", "alora_invocation_tokens" })
        {
            if (root.TryGetProperty(key, out var v) && v.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined)
                && !(v.ValueKind == JsonValueKind.Object && !v.EnumerateObject().Any())
                && !(v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 0))
                throw new ModelFormatException($"{path}: {key} is not supported yet");
        }
        int r = root.TryGetProperty("r", out var rv) && rv.ValueKind == JsonValueKind.Number && rv.TryGetInt32(out int ri) && ri > 0 ? ri
            : throw new ModelFormatException($"{path}: r must be a positive integer");
        float alpha = root.TryGetProperty("lora_alpha", out var av) && av.ValueKind == JsonValueKind.Number && av.TryGetSingle(out float a) ? a
            : throw new ModelFormatException(av.ValueKind == JsonValueKind.Undefined ? $"{path}: lora_alpha is missing"
                : $"{path}: lora_alpha must be a number, not {av.GetRawText()}");
        float dropout = !root.TryGetProperty("lora_dropout", out var dv) || dv.ValueKind == JsonValueKind.Null ? 0f
            : dv.ValueKind == JsonValueKind.Number && dv.TryGetSingle(out float d) ? d
            : throw new ModelFormatException($"{path}: lora_dropout must be a number, not {dv.GetRawText()}");
        var alphas = new Dictionary<string, float>(StringComparer.Ordinal);
        if (Pattern(root, "alpha_pattern", path) is { } ap)
        {
            foreach (var kv in ap.EnumerateObject())
            {
                alphas[kv.Name] = kv.Value.ValueKind == JsonValueKind.Number && kv.Value.TryGetSingle(out float pa) ? pa
                    : throw new ModelFormatException($"{path}: alpha_pattern[\"{kv.Name}\"] must be a number");
            }
        }
        var ranks = new Dictionary<string, int>(StringComparer.Ordinal);
        if (Pattern(root, "rank_pattern", path) is { } rp)
        {
            foreach (var kv in rp.EnumerateObject())
            {
                ranks[kv.Name] = kv.Value.ValueKind == JsonValueKind.Number && kv.Value.TryGetInt32(out int pr) && pr > 0 ? pr
                    : throw new ModelFormatException($"{path}: rank_pattern[\"{kv.Name}\"] must be a positive integer");
            }
        }
        foreach (var (name, key) in alphas.Keys.Select(k => (k, "alpha_pattern")).Concat(ranks.Keys.Select(k => (k, "rank_pattern"))))
        {
            try
            {
                _ = new Regex("^(.*\\.)?(" + name + ")$", RegexOptions.CultureInvariant);
            }
            catch (ArgumentException e)
            {
                throw new ModelFormatException($"{path}: {key} key \"{name}\" is not a valid regular expression ({e.Message})");
            }
        }
        var config = new LoraConfig
        {
            R = r, Alpha = alpha, Dropout = dropout, UseRsLora = Bool(root, "use_rslora", path), UseDora = Bool(root, "use_dora", path),
            BaseModel = Str(root, "base_model_name_or_path", path), AlphaPattern = alphas, RankPattern = ranks,
            ModulesToSave = !root.TryGetProperty("modules_to_save", out var ms) || ms.ValueKind == JsonValueKind.Null ? []
                : ms.ValueKind == JsonValueKind.Array && ms.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) ? [.. ms.EnumerateArray().Select(e => e.GetString()!)]
                : throw new ModelFormatException($"{path}: modules_to_save must be a list of module names, not {ms.GetRawText()}"),
        };
        config = Layers(root, path, config);
        return root.TryGetProperty("target_modules", out var tm) ? tm.ValueKind switch
        {
            JsonValueKind.String => config with { TargetPattern = tm.GetString(), TargetModules = [] },
            JsonValueKind.Array when tm.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) =>
                config with { TargetModules = [.. tm.EnumerateArray().Select(e => e.GetString()!)] },
            _ => throw new ModelFormatException($"{path}: target_modules must be a list of names or a regular expression"),
        } : throw new ModelFormatException($"{path}: target_modules is missing");
    }

    /// <summary>
    /// layers_to_transform (an index or a list of them), layers_pattern and exclude_modules (a name, a list of names, or
    /// for exclude_modules a regular expression); null or absent for none, anything else names the key.
    /// </summary>
    private static LoraConfig Layers(JsonElement root, string path, LoraConfig config)
    {
        if (root.TryGetProperty("layers_to_transform", out var lt) && lt.ValueKind != JsonValueKind.Null)
        {
            config = config with
            {
                LayersToTransform = lt.ValueKind == JsonValueKind.Number && lt.TryGetInt32(out int one) && one >= 0 ? [one]
                    : lt.ValueKind == JsonValueKind.Array && lt.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int i) && i >= 0)
                        ? [.. lt.EnumerateArray().Select(e => e.GetInt32())]
                    : throw new ModelFormatException($"{path}: layers_to_transform must be a layer index or a list of them, not {lt.GetRawText()}"),
            };
        }
        if (Names(root, "layers_pattern", path) is { } lp)
            config = config with { LayersPattern = lp.Pattern is { } one ? (one.Length == 0 ? [] : [one]) : lp.List };
        if (Names(root, "exclude_modules", path) is { } ex)
            config = config with { ExcludePattern = ex.Pattern is { Length: > 0 } pattern ? pattern : null, ExcludeModules = ex.List };
        foreach (var (key, pattern) in config.LayersPattern.Select(p => ("layers_pattern", p)).Append(("exclude_modules", config.ExcludePattern ?? "")))
        {
            try
            {
                _ = new Regex(pattern, RegexOptions.CultureInvariant);
            }
            catch (ArgumentException e)
            {
                throw new ModelFormatException($"{path}: {key} \"{pattern}\" is not a valid regular expression ({e.Message})");
            }
        }
        return config;
    }

    /// <summary>A string (Pattern) or a list of strings (List), or null when absent or null; anything else names the key.</summary>
    private static (string? Pattern, IReadOnlyList<string> List)? Names(JsonElement o, string key, string path) =>
        !o.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null ? null
        : v.ValueKind == JsonValueKind.String ? (v.GetString(), [])
        : v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) ? (null, [.. v.EnumerateArray().Select(e => e.GetString()!)])
        : throw new ModelFormatException($"{path}: {key} must be a name or a list of names, not {v.GetRawText()}");

    /// <summary>adapter_config.json as peft writes it (the keys peft needs to load the adapter onto the base model).</summary>
    public JsonObject ToJson() => new()
    {
        ["peft_type"] = "LORA",
        ["task_type"] = TaskType,
        ["base_model_name_or_path"] = BaseModel,
        ["r"] = R,
        ["lora_alpha"] = Alpha,
        ["lora_dropout"] = Dropout,
        ["target_modules"] = TargetPattern is { } p ? JsonValue.Create(p) : new JsonArray([.. TargetModules.Select(t => JsonValue.Create(t))]),
        ["bias"] = "none",
        ["fan_in_fan_out"] = false,
        ["use_rslora"] = UseRsLora,
        ["use_dora"] = UseDora,
        ["init_lora_weights"] = true,
        ["modules_to_save"] = ModulesToSave.Count == 0 ? null : new JsonArray([.. ModulesToSave.Select(m => JsonValue.Create(m))]),
        ["inference_mode"] = true,
        ["revision"] = null,
    };

    /// <summary>A string, or null when absent or null; anything else (a number, a list) names the key.</summary>
    private static string? Str(JsonElement o, string key, string path) =>
        !o.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null ? null
        : v.ValueKind == JsonValueKind.String ? v.GetString()
        : throw new ModelFormatException($"{path}: {key} must be a string, not {v.GetRawText()}");

    /// <summary>A flag: true, false, null or absent (false); anything else (a string "true", a number) names the key.</summary>
    private static bool Bool(JsonElement o, string key, string path) =>
        o.TryGetProperty(key, out var v) && v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False or JsonValueKind.Null => false,
            _ => throw new ModelFormatException($"{path}: {key} must be true or false, not {v.GetRawText()}"),
        };

    /// <summary>A pattern map (alpha_pattern, rank_pattern): an object, or null when absent or null; anything else names the key.</summary>
    private static JsonElement? Pattern(JsonElement o, string key, string path) =>
        !o.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null ? null
        : v.ValueKind == JsonValueKind.Object ? v
        : throw new ModelFormatException($"{path}: {key} must be an object of module name patterns, not {v.GetRawText()}");
}
