namespace Skald.Tokenizers.Core;

/// <summary>Whether, and how, a truncated text may be tokenized from a prefix only (see <see cref="PrefixCut"/>).</summary>
internal enum PrefixMode
{
    /// <summary>No proof that a prefix gives the same first tokens: the whole text is always tokenized.</summary>
    None,

    /// <summary>The pre-tokenizer splits at the cut's space: the words before it are the whole text's words.</summary>
    Pieces,

    /// <summary>
    /// The text stays one piece (no splitting pre-tokenizer), but the space becomes a marker no vocabulary entry
    /// joins to the character before it, so a BPE or Unigram segmentation breaks there too.
    /// </summary>
    SinglePiece,
}
