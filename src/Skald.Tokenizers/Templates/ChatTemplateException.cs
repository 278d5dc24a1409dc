namespace Skald.Tokenizers.Templates;

/// <summary>
/// Raised when a chat template cannot be parsed or rendered: a construct outside the supported Jinja subset, a syntax
/// error, a failing operation, or the template's own <c>raise_exception(…)</c>. The message is one line and names the
/// line and column in the template.
/// </summary>
public sealed class ChatTemplateException : Exception
{
    /// <summary>Creates the exception with a one-line message.</summary>
    public ChatTemplateException(string message) : base(message) { }

    /// <summary>Creates the exception with a one-line message and the underlying cause.</summary>
    public ChatTemplateException(string message, Exception inner) : base(message, inner) { }

    /// <summary>True when the template itself raised the error through <c>raise_exception(msg)</c>.</summary>
    public bool RaisedByTemplate { get; init; }

    /// <summary>The template's own message when <see cref="RaisedByTemplate"/>; otherwise the problem without location.</summary>
    public string Detail { get; init; } = "";

    /// <summary>The 1-based line and column in the template the error names (null when it names none).</summary>
    public (int Line, int Column)? Place { get; init; }
}
