namespace Skald.Tokenizers.PreTokenizers;

/// <summary>Metaspace prepend scheme.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/pre_tokenizers/metaspace.rs</remarks>
internal enum PrependScheme
{
    /// <summary>Always prepend the replacement to a piece not starting with it.</summary>
    Always,
    /// <summary>Only for the first piece of the input.</summary>
    First,
    /// <summary>Never.</summary>
    Never,
}
