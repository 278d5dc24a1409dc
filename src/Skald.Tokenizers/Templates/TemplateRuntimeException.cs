namespace Skald.Tokenizers.Templates;

/// <summary>
/// A failure while rendering, before its place in the template is known; the evaluator stamps the offset of the
/// innermost node that failed and <see cref="ChatTemplate"/> turns it into a <see cref="ChatTemplateException"/>.
/// </summary>
internal sealed class TemplateRuntimeException : Exception
{
    /// <summary>Creates the failure.</summary>
    public TemplateRuntimeException(string message, bool raised = false) : base(message) => Raised = raised;

    /// <summary>The offset in the template, or -1 while unknown.</summary>
    public int Position { get; set; } = -1;

    /// <summary>True when the template called <c>raise_exception</c>.</summary>
    public bool Raised { get; }
}
