using System.Text.Json;

namespace Skald.Models.Modules;

/// <summary>
/// An LLM2Vec folder's llm2vec_config.json (the keys <c>LLM2Vec.save</c> writes and <c>from_pretrained</c> passes to
/// the constructor, with its defaults) plus the two things of config.json that LLM2Vec's input templates look at.
/// </summary>
/// <remarks>Upstream: https://github.com/McGill-NLP/llm2vec/blob/312adcfb578b4023bfc9d3bcc83b6b87448ab059/llm2vec/llm2vec.py (tag 0.2.3)</remarks>
public sealed record Llm2VecConfig
{
    /// <summary>The file's name.</summary>
    public const string FileName = "llm2vec_config.json";

    /// <summary>pooling_mode as written: mean, weighted_mean, eos_token, last_token or bos_token (default mean).</summary>
    public string PoolingModeName { get; init; } = "mean";

    /// <summary>The <see cref="PoolingMode"/> pooling_mode is.</summary>
    public PoolingMode PoolingMode { get; init; } = PoolingMode.Mean;

    /// <summary>max_length: tokens per input, special tokens included (default 512).</summary>
    public int MaxLength { get; init; } = 512;

    /// <summary>doc_max_length: the text after the instruction is cut to this many tokens, by words (default 400).</summary>
    public int DocMaxLength { get; init; } = 400;

    /// <summary>skip_instruction: leave the instruction's tokens out of pooling (default true).</summary>
    public bool SkipInstruction { get; init; } = true;

    /// <summary>
    /// config.json's <c>_name_or_path</c> ("" when absent): LLM2Vec.from_pretrained copies it onto the model config
    /// for a local folder, and prepare_for_tokenization picks a chat template by it (e.g. meta-llama/Meta-Llama-3-8B-Instruct).
    /// </summary>
    public string BaseModelName { get; init; } = "";

    /// <summary>config.json's <c>model_type</c> (llama, mistral, gemma, qwen2, ...): decides the EOS text of eos_token pooling.</summary>
    public string? ModelType { get; init; }

    private static readonly string[] Keys = ["pooling_mode", "max_length", "doc_max_length", "skip_instruction"];

    /// <summary>
    /// Reads <paramref name="path"/> (llm2vec_config.json) and, for the template keys, <paramref name="configJsonPath"/>
    /// when it exists. Unknown keys are errors, as they are for LLM2Vec's constructor.
    /// </summary>
    public static Llm2VecConfig Load(string path, string? configJsonPath)
    {
        var config = new Llm2VecConfig();
        using (var doc = JsonFiles.Read(path))
        {
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object) throw new ModelFormatException($"{path}: expected a JSON object");
            foreach (var p in r.EnumerateObject())
            {
                if (!Keys.Contains(p.Name))
                    throw new ModelFormatException($"{path}: unknown key \"{p.Name}\" (LLM2Vec reads {string.Join(", ", Keys)})");
            }
            string mode = JsonFiles.Str(r, "pooling_mode", path) ?? config.PoolingModeName;
            config = config with
            {
                PoolingModeName = mode,
                PoolingMode = PoolingConfig.ParseLlm2Vec(mode, path),
                MaxLength = Positive(JsonFiles.Int(r, "max_length", path), "max_length", path) ?? config.MaxLength,
                DocMaxLength = Positive(JsonFiles.Int(r, "doc_max_length", path), "doc_max_length", path) ?? config.DocMaxLength,
                SkipInstruction = JsonFiles.Bool(r, "skip_instruction", path, fallback: true),
            };
        }
        if (configJsonPath is null || !File.Exists(configJsonPath)) return config;
        using var cfg = JsonFiles.Read(configJsonPath);
        return config with
        {
            BaseModelName = JsonFiles.Str(cfg.RootElement, "_name_or_path", configJsonPath) ?? "",
            ModelType = JsonFiles.Str(cfg.RootElement, "model_type", configJsonPath),
        };
    }

    private static int? Positive(int? value, string key, string path) => value is <= 0
        ? throw new ModelFormatException($"{path}: key \"{key}\" must be a positive integer, found {value}")
        : value;
}
