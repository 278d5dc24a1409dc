namespace Skald.Models.Architectures;

/// <summary>A transformer that maps padded token ids to contextual token embeddings (HF <c>last_hidden_state</c>).</summary>
public interface ITransformerEncoder
{
    /// <summary>The config it was built from.</summary>
    TransformerConfig Config { get; }

    /// <summary>Width of the token embeddings (C).</summary>
    int HiddenSize { get; }

    /// <summary>The longest sequence its position table allows.</summary>
    int MaxSequenceLength { get; }

    /// <summary>Number of parameters used by the forward pass.</summary>
    long ParameterCount { get; }

    /// <summary>
    /// ids, typeIds, mask: [B, T] row-major (mask 1 = real token, 0 = padding). hidden: [B, T, C] output.
    /// Thread-safe (calls are serialised; each call uses all cores).
    /// </summary>
    void Forward(ReadOnlySpan<int> ids, ReadOnlySpan<int> typeIds, ReadOnlySpan<int> mask, int batch, int seq,
        Span<float> hidden);
}
