namespace Skald.Models.Modules;

/// <summary>
/// The configuration of <see cref="Pooling"/>: sentence-transformers' Pooling module (1_Pooling/config.json) or
/// LLM2Vec's <c>pooling_mode</c> (llm2vec_config.json): token embeddings [B, T, C] and masks [B, T] → sentence
/// embeddings [B, k·C] for the k selected modes.
/// </summary>
/// <remarks>
/// Upstream: https://github.com/UKPLab/sentence-transformers/blob/v5.1.0/sentence_transformers/models/Pooling.py and
/// https://github.com/McGill-NLP/llm2vec/blob/312adcfb578b4023bfc9d3bcc83b6b87448ab059/llm2vec/llm2vec.py (get_pooling, tag 0.2.3).
/// </remarks>
public sealed record PoolingConfig(int Dimension, PoolingMode Modes, bool IncludePrompt = true)
{
    /// <summary>Output width.</summary>
    public int OutputDimension => Dimension * System.Numerics.BitOperations.PopCount((uint)Modes);

    /// <summary>The 1_Pooling/config.json keys sentence-transformers writes.</summary>
    public static readonly IReadOnlyList<(string Key, PoolingMode Mode)> Keys =
    [
        ("pooling_mode_cls_token", PoolingMode.Cls), ("pooling_mode_max_tokens", PoolingMode.Max),
        ("pooling_mode_mean_tokens", PoolingMode.Mean), ("pooling_mode_mean_sqrt_len_tokens", PoolingMode.MeanSqrtLen),
        ("pooling_mode_weightedmean_tokens", PoolingMode.WeightedMean), ("pooling_mode_lasttoken", PoolingMode.LastToken),
    ];

    /// <summary>LLM2Vec's pooling_mode values (llm2vec.py get_pooling) and the mode each one is.</summary>
    public static readonly IReadOnlyList<(string Name, PoolingMode Mode)> Llm2VecModes =
    [
        ("mean", PoolingMode.Mean), ("weighted_mean", PoolingMode.WeightedMeanOverPooled),
        ("eos_token", PoolingMode.LastToken), ("last_token", PoolingMode.LastToken), ("bos_token", PoolingMode.Cls),
    ];

    /// <summary>The mode of an LLM2Vec pooling_mode value; <paramref name="path"/> names the file in errors.</summary>
    public static PoolingMode ParseLlm2Vec(string name, string path)
    {
        foreach (var (n, mode) in Llm2VecModes)
        {
            if (n == name) return mode;
        }
        throw new ModelFormatException(
            $"{path}: key \"pooling_mode\" is \"{name}\"; LLM2Vec knows {string.Join(", ", Llm2VecModes.Select(m => m.Name))}");
    }

    /// <summary>Reads a Pooling config.json.</summary>
    public static PoolingConfig Load(string path)
    {
        using var doc = JsonFiles.Read(path);
        var r = doc.RootElement;
        int dim = JsonFiles.Int(r, "word_embedding_dimension", path)
            ?? throw new ModelFormatException($"{path}: missing key \"word_embedding_dimension\"");
        var modes = PoolingMode.None;
        foreach (var (key, mode) in Keys)
        {
            if (JsonFiles.Bool(r, key, path)) modes |= mode;
        }
        if (modes == PoolingMode.None) throw new ModelFormatException($"{path}: no pooling_mode_* key is true");
        return new PoolingConfig(dim, modes, JsonFiles.Bool(r, "include_prompt", path, fallback: true));
    }
}
