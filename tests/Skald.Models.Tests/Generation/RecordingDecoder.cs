using Skald.Models.Architectures;
using Skald.Models.Generation;
using Skald.Tensors.Autograd;

namespace Skald.Models.Tests.Generation;

/// <summary>A decoder that records the shape of every cached forward pass (and tells <see cref="Passing"/> of it).</summary>
internal sealed class RecordingDecoder(IDecoder inner) : IDecoder
{
    /// <summary>(rows, tokens) of each cached forward pass so far.</summary>
    public List<(int Rows, int Tokens)> Passes { get; } = [];

    /// <summary>Hears (rows, tokens) of each cached forward pass as it starts.</summary>
    public Action<int, int>? Passing { get; set; }

    /// <summary>Hears the cache of each cached forward pass.</summary>
    public Action<KvCache>? Cached { get; set; }

    /// <summary>Called each time the config is read.</summary>
    public Action? ReadingConfig { get; set; }

    public TransformerConfig Config
    {
        get
        {
            ReadingConfig?.Invoke();
            return inner.Config;
        }
    }

    public int HiddenSize => inner.HiddenSize;
    public int MaxSequenceLength => inner.MaxSequenceLength;
    public IReadOnlyList<Parameter> Parameters => inner.Parameters;
    public AttentionMode AttentionMode { get => inner.AttentionMode; set => inner.AttentionMode = value; }
    public Parameter EmbedTokens => inner.EmbedTokens;
    public LmHead? LmHead => inner.LmHead;
    public Variable Forward(Tape tape, TokenBatch tokens) => inner.Forward(tape, tokens);

    public Variable Forward(Tape tape, TokenBatch tokens, KvCache? cache)
    {
        Passes.Add((tokens.Batch, tokens.Seq));
        Passing?.Invoke(tokens.Batch, tokens.Seq);
        if (cache is not null) Cached?.Invoke(cache);
        return inner.Forward(tape, tokens, cache);
    }
}
