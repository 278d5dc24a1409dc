namespace Skald.Tokenizers;

/// <summary>Raised when a tokenizer.json cannot be loaded or a tokenizer cannot encode an input.</summary>
public sealed class TokenizerException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public TokenizerException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the underlying cause.</summary>
    public TokenizerException(string message, Exception inner) : base(message, inner) { }
}
