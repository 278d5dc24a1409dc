using Skald.Models.Generation;
using Skald.Tensors.Autograd;

namespace Skald.Models.Architectures;

/// <summary>
/// A decoder LLM used as an encoder (<see cref="Llama"/>, <see cref="Gemma"/>, <see cref="Gpt2"/>, all a <see cref="DecoderModel"/>): <see cref="ITransformer.Forward(Tape, TokenBatch)"/> gives
/// the last hidden state after the final norm (transformers' <c>last_hidden_state</c>); the attention mode can be
/// switched after loading, and the LM head, when the checkpoint has one (or ties it to the embeddings), projects
/// hidden states to vocabulary logits.
/// </summary>
public interface IDecoder : ITransformer
{
    /// <summary>Causal (default) or bidirectional attention in every layer.</summary>
    AttentionMode AttentionMode { get; set; }

    /// <summary>The token embeddings <c>embed_tokens.weight</c> [V, C].</summary>
    Parameter EmbedTokens { get; }

    /// <summary>
    /// The same forward pass over only the new tokens of a generation step: with a <paramref name="cache"/> (non-recording
    /// tape, causal attention) <paramref name="tokens"/> [B, Tn] continues the sequences whose keys and values the cache
    /// holds (the first step: the left-padded prompts); positions continue each row's real tokens, and the new keys and
    /// values are appended. Without one it is <see cref="ITransformer.Forward(Tape, TokenBatch)"/>.
    /// </summary>
    Variable Forward(Tape tape, TokenBatch tokens, KvCache? cache);

    /// <summary>The LM head (tied to <see cref="EmbedTokens"/> or <c>lm_head.weight</c>); null when the checkpoint has none.</summary>
    LmHead? LmHead { get; }
}
