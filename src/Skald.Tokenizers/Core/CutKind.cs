namespace Skald.Tokenizers.Core;

/// <summary>What a prefix cut between two characters rests on (see <see cref="CutTable"/>).</summary>
internal enum CutKind : byte
{
    /// <summary>No proof: the text is not cut here.</summary>
    None,

    /// <summary>
    /// The pre-tokenizer keeps one piece across the cut, but no model token can span it (a BPE or Unigram vocabulary
    /// without an entry holding the two characters side by side): the tokens before it are the whole text's.
    /// </summary>
    Inside,

    /// <summary>The pipeline splits the text into pieces here, as it does at a space between words.</summary>
    Split,
}
