namespace Skald.Tokenizers;

/// <summary>
/// The result of encoding one input (or a pair). All arrays have the same length.
/// <see cref="Offsets"/> are in Unicode code points (scalar values) of the original input text —
/// the unit Hugging Face tokenizers returns (Python and Node bindings alike) — with [start, end)
/// semantics; for a pair, offsets of the second sequence refer to the second text. Special tokens
/// added by the post-processor have offsets (0, 0).
/// </summary>
public sealed class Encoding
{
    /// <summary>Token ids.</summary>
    public required int[] Ids { get; init; }

    /// <summary>Token strings.</summary>
    public required string[] Tokens { get; init; }

    /// <summary>Type (segment) ids.</summary>
    public required int[] TypeIds { get; init; }

    /// <summary>Attention mask (all ones until padded).</summary>
    public required int[] AttentionMask { get; init; }

    /// <summary>Offsets (code points of the original text, [start, end)).</summary>
    public required (int Start, int End)[] Offsets { get; init; }

    /// <summary>1 for special tokens added by the post-processor, else 0.</summary>
    public required int[] SpecialTokensMask { get; init; }

    /// <summary>The parts cut off by truncation, each a complete encoding (with special tokens), as HF's overflowing.</summary>
    public IReadOnlyList<Encoding> Overflowing { get; init; } = [];

    /// <summary>
    /// True when truncation left out tokens of the input: the text (or pair) gives more than the max_length asked for,
    /// special tokens included. Unlike <see cref="Overflowing"/> (HF's, which is empty when whole words end exactly at
    /// max_length and the model adds no special tokens), it is set wherever truncation happens, the bounded prefix path
    /// included; decide "too long" with it.
    /// </summary>
    public bool Truncated { get; init; }

    /// <summary>Number of tokens.</summary>
    public int Length => Ids.Length;
}
