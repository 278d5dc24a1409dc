namespace Skald.Models.Modules;

/// <summary>
/// sentence-transformers' Pooling module (sentence_transformers/models/Pooling.py): token embeddings [B, T, C] and
/// mask [B, T] → sentence embeddings [B, k·C] for the k selected modes.
/// </summary>
/// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/v5.1.0/sentence_transformers/models/Pooling.py</remarks>
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
