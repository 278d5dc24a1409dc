using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Processors;

/// <summary>A post-processor (HF's PostProcessor): adds special tokens around one or two sequences.</summary>
internal interface IPostProcessor
{
    /// <summary>How many tokens processing adds.</summary>
    int AddedTokens(bool isPair);

    /// <summary>HF's process_encodings: returns the encodings to concatenate, in order.</summary>
    List<RawEncoding> ProcessEncodings(List<RawEncoding> encodings, bool addSpecialTokens);
}
