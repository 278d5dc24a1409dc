using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.PreTokenizers;

/// <summary>A pre-tokenizer step (HF's PreTokenizer): splits the untokenized pieces further.</summary>
internal interface IPreTokenizer
{
    /// <summary>Splits the pieces of <paramref name="pts"/>.</summary>
    void PreTokenize(PreTokenizedString pts);
}
