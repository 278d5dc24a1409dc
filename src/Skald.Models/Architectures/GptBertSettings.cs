namespace Skald.Models.Architectures;

/// <summary>
/// The config.json fields of NorBERT4 / GPT-BERT (<c>configuration_gptbert.py</c>) that have no counterpart in
/// <see cref="TransformerConfig"/>; read by <see cref="GptBertConfigReader"/>.
/// </summary>
/// <param name="LocalGlobalRatio"><c>local_global_ratio</c>: layer i is global when (i + 1) is a multiple of it.</param>
/// <param name="LocalWindow"><c>local_window_length</c>: a local layer's query attends to keys within this distance.</param>
/// <param name="GlobalWindow"><c>global_window_length</c>: the same for global layers.</param>
/// <param name="Causal"><c>is_decoder</c> (GptBertForCausalLM sets it): keys after the query are excluded.</param>
public sealed record GptBertSettings(int LocalGlobalRatio, int LocalWindow, int GlobalWindow, bool Causal)
{
    /// <summary>RoPE base of the global layers (fixed in modeling_gptbert.py, not read from config.json).</summary>
    public const double GlobalTheta = 160_000;

    /// <summary>RoPE base of the local layers (fixed in modeling_gptbert.py).</summary>
    public const double LocalTheta = 10_000;

    /// <summary>Whether layer <paramref name="layer"/> (0-based) is a global layer.</summary>
    public bool IsGlobal(int layer) => (layer + 1) % LocalGlobalRatio == 0;

    /// <summary>The window (maximum |query − key| distance) of layer <paramref name="layer"/>.</summary>
    public int Window(int layer) => IsGlobal(layer) ? GlobalWindow : LocalWindow;
}
