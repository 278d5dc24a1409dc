using System.Globalization;

namespace Skald.Models.Modules;

/// <summary>
/// sentence-transformers' SparseAutoEncoder settings (a CSR model's <c>N_SparseAutoEncoder/config.json</c>): the dense
/// embedding [<see cref="InputDim"/>] is encoded into <see cref="HiddenDim"/> latents of which the <see cref="K"/>
/// largest are kept.
/// </summary>
/// <remarks>
/// Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/sparse_encoder/models/SparseAutoEncoder.py
/// </remarks>
/// <param name="InputDim">input_dim: the dense embedding's width.</param>
/// <param name="HiddenDim">hidden_dim: the number of latents, the sparse embedding's width (default 512).</param>
/// <param name="K">k: latents kept per text (default 8; <c>max_active_dims</c> overrides it when encoding).</param>
/// <param name="KAux">k_aux: dead latents the auxiliary reconstruction keeps in training (default 512).</param>
/// <param name="Normalize">normalize: standardise the input first (mean 0, unbiased std 1, ε 1e-5 added to the std).</param>
/// <param name="DeadThreshold">dead_threshold: a latent silent for more than this many top-k selections is dead (default 30).</param>
public sealed record SparseAutoEncoderConfig(int InputDim, int HiddenDim = 512, int K = 8, int KAux = 512, bool Normalize = false,
    int DeadThreshold = 30)
{
    /// <summary>The module's type in modules.json.</summary>
    public const string ModuleType = "sentence_transformers.sparse_encoder.models.SparseAutoEncoder";

    /// <summary>Reads a SparseAutoEncoder config.json (input_dim required, the rest sentence-transformers' defaults).</summary>
    public static SparseAutoEncoderConfig Load(string path)
    {
        if (!File.Exists(path)) throw new ModelFormatException($"{path}: not found (a SparseAutoEncoder module saves its config.json)");
        using var doc = JsonFiles.Read(path);
        var r = doc.RootElement;
        int input = JsonFiles.Int(r, "input_dim", path) ?? throw new ModelFormatException($"{path}: missing key \"input_dim\"");
        var config = new SparseAutoEncoderConfig(input, JsonFiles.Int(r, "hidden_dim", path) ?? 512, JsonFiles.Int(r, "k", path) ?? 8,
            JsonFiles.Int(r, "k_aux", path) ?? 512, JsonFiles.Bool(r, "normalize", path), JsonFiles.Int(r, "dead_threshold", path) ?? 30);
        config.Check(path);
        return config;
    }

    /// <summary>Throws a <see cref="ModelFormatException"/> naming <paramref name="where"/> when a value is out of range.</summary>
    public void Check(string where)
    {
        if (InputDim < 1) throw new ModelFormatException($"{where}: \"input_dim\" must be positive, found {InputDim}");
        if (HiddenDim < 1) throw new ModelFormatException($"{where}: \"hidden_dim\" must be positive, found {HiddenDim}");
        if (K < 1 || K > HiddenDim) throw new ModelFormatException($"{where}: \"k\" must be in 1..hidden_dim ({HiddenDim}), found {K}");
        if (KAux < 0 || KAux > HiddenDim) throw new ModelFormatException($"{where}: \"k_aux\" must be in 0..hidden_dim ({HiddenDim}), found {KAux}");
        if (DeadThreshold < 0) throw new ModelFormatException($"{where}: \"dead_threshold\" must be ≥ 0, found {DeadThreshold}");
    }

    /// <summary>The config.json sentence-transformers writes (json.dump, indent 4).</summary>
    public string ToJson() => string.Create(CultureInfo.InvariantCulture,
        $"{{\n    \"input_dim\": {InputDim},\n    \"hidden_dim\": {HiddenDim},\n    \"k\": {K},\n    \"k_aux\": {KAux},\n    \"normalize\": {(Normalize ? "true" : "false")},\n    \"dead_threshold\": {DeadThreshold}\n}}");
}
